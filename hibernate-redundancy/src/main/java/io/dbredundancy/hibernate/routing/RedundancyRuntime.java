package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.NodeConfig;
import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.health.ActiveNode;
import io.dbredundancy.hibernate.health.HealthMonitor;
import io.dbredundancy.hibernate.health.HealthPolicy;
import io.dbredundancy.hibernate.health.HealthScheduler;
import io.dbredundancy.hibernate.health.HealthState;
import io.dbredundancy.hibernate.health.JdbcProber;
import io.dbredundancy.hibernate.health.SwitchEvent;
import io.dbredundancy.hibernate.health.SwitchListener;
import io.dbredundancy.hibernate.health.ThreadHealthScheduler;
import io.dbredundancy.hibernate.lease.Lease;
import io.dbredundancy.hibernate.status.RedundancyStatus;
import io.dbredundancy.hibernate.status.StatusContributor;
import org.hibernate.engine.spi.SessionFactoryImplementor;

import javax.sql.DataSource;
import java.time.Clock;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;

/**
 * Internal: everything the plugin runs for one persistence unit, composed here: the validated config, a DataSource per
 * node (a HikariCP pool, or the container's DataSource in JNDI mode), the start check, the health monitor and its
 * scheduler thread, the connection router, the switch gate, and the SessionFactory once built. Features attach
 * through it: the mirror (through its {@code MirrorHost}), the sync and schema migration (a {@link UnitFeature}),
 * metrics, the plugin's tests and benchmarks; find it with {@link RuntimeLookup} (users have the {@code Redundancy}
 * facade). Created by
 * {@link RedundantConnectionProvider#start()}, closed by its {@code stop()}.
 */
public final class RedundancyRuntime implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.routing");
    private static final Set<RedundancyRuntime> LIVE = ConcurrentHashMap.newKeySet();

    private final String unit;
    private final RedundancyConfig config;
    private final Map<Node, DataSource> dataSources = new EnumMap<>(Node.class);
    private final UnitThreads threads;
    private final HealthMonitor monitor;
    private final UnitLease leases;
    private final SwitchGate gate;
    private final ConnectionRouter router;
    private final StatusAssembly status;
    private final UnitFeatures features = new UnitFeatures();
    private volatile SessionFactoryImplementor sessionFactory;
    private volatile boolean closed;

    /**
     * SPI: work that must finish before sessions use the node a switch went to (moving its sequences past the ids
     * issued on the other node, say). Runs on a worker right after the switch; new sessions on that node wait for it,
     * up to {@code max(1000, 2 × health.timeout_ms)} ms. Keep it short and bounded.
     */
    @FunctionalInterface
    public interface SwitchPreparer {
        void prepare(SwitchEvent switched) throws Exception;
    }

    private RedundancyRuntime(String unit, RedundancyConfig config, Clock clock) {
        this.unit = unit;
        this.config = config;
        long acquireTimeoutMs = Math.max(1000, 2 * config.healthTimeoutMs());
        this.threads = new UnitThreads(unit);
        dataSources.putAll(JndiLookup.lookupAll(config, nodes()));
        Map<Node, JdbcProber.Opener> openers = new EnumMap<>(Node.class);
        for (Node n : nodes()) {
            NodeConfig nc = config.node(n);
            DataSource ds = dataSources.get(n);
            openers.put(n, ds != null ? JdbcProber.dataSource(ds) : JdbcProber.driver(nc.jdbcUrl(), nc.user(), nc.password()));
        }
        JdbcProber prober = new JdbcProber(openers);
        HealthPolicy policy = HealthPolicy.from(config);
        HealthState initial;
        try {
            initial = StartCheck.run(config, nodes(), prober, policy, clock, threads.workers);
            leases = new UnitLease(config.redundancyEnabled(), openers, threads.workers, unit, policy);
            initial = leases.follow(initial, policy);
        } catch (RuntimeException e) {
            prober.close();
            threads.shutdownNow();
            throw e;
        }
        for (Node n : nodes()) {
            dataSources.computeIfAbsent(n, k -> NodePools.pool(config.node(k), config, policy, acquireTimeoutMs));
        }
        this.monitor = new HealthMonitor(unit, policy, initial, prober, clock, new ThreadHealthScheduler(unit),
                threads.probes);
        this.gate = new SwitchGate(acquireTimeoutMs, clock);
        this.router = new ConnectionRouter(config, monitor, dataSources, gate, acquireTimeoutMs);
        this.status = new StatusAssembly(config);
        monitor.addListener(this::onSwitch);
        leases.bind(monitor);
    }

    /** Checks both nodes, builds the pools, attaches the features and starts the health thread. */
    static RedundancyRuntime start(String unit, RedundancyConfig config) {
        RedundancyRuntime rt = new RedundancyRuntime(unit, config, Clock.systemUTC());
        try {
            rt.features.attachAll(rt);
        } catch (RuntimeException e) {
            rt.close();
            throw e;
        }
        rt.monitor.start();
        rt.leases.start();
        rt.features.serving();
        LIVE.add(rt);
        HealthState s = rt.monitor.state();
        LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] unit " + unit + " started: primary "
                + config.primary().displayUrl() + ", secondary "
                + config.secondary().map(NodeConfig::displayUrl).orElse("none") + "; serving from " + s.active()
                + ", status " + s.status());
        return rt;
    }

    /** The single live runtime of this JVM, or null when there are none or several. */
    static RedundancyRuntime onlyRuntime() {
        return LIVE.size() == 1 ? LIVE.iterator().next() : null;
    }

    private List<Node> nodes() {
        return config.redundancyEnabled() ? List.of(Node.PRIMARY, Node.SECONDARY) : List.of(Node.PRIMARY);
    }

    /** The provider's reaction to a switch: gate the new node, free threads blocked on the failed one, evict the cache. */
    private void onSwitch(SwitchEvent e) {
        gate.switched(e, threads.workers);
        router.switched(e, threads.workers);
        SessionFactoryImplementor sf = sessionFactory;
        if (sf != null && e.to() != ActiveNode.NONE) {
            try {
                sf.getCache().evictAll();
            } catch (RuntimeException ex) {
                LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] second-level cache eviction failed: " + ex);
            }
        }
    }

    // ---------------------------------------------------------------- SPI

    public String unit() {
        return unit;
    }

    public RedundancyConfig config() {
        return config;
    }

    public HealthMonitor monitor() {
        return monitor;
    }

    /** The current health state (one volatile read). */
    public HealthState state() {
        return monitor.state();
    }

    /** True once {@link #close()} has begun: background work of the features stops rescheduling itself. */
    public boolean closed() {
        return closed;
    }

    /**
     * The DataSource of {@code node}: its HikariCP pool (or the container's DataSource in JNDI mode). For the mirror
     * and sync features; connections from it are not routed, tracked nor aborted on a switch.
     *
     * @throws IllegalStateException when {@code node} is the secondary and none is configured
     */
    public DataSource dataSource(Node node) {
        DataSource ds = dataSources.get(node);
        if (ds == null) {
            throw new IllegalStateException("No secondary database is configured (hibernate.redundancy.secondary.url)");
        }
        return ds;
    }

    /** Listens to every switch of the active node (on the health thread, after the switch is published). */
    public void addListener(SwitchListener listener) {
        monitor.addListener(listener);
    }

    public void removeListener(SwitchListener listener) {
        monitor.removeListener(listener);
    }

    /** Adds work every switch must finish before sessions use its node; see {@link SwitchPreparer}. */
    public void addSwitchPreparer(SwitchPreparer preparer) {
        gate.add(preparer);
    }

    public void addStatusContributor(StatusContributor contributor) {
        status.add(contributor);
    }

    public void removeStatusContributor(StatusContributor contributor) {
        status.remove(contributor);
    }

    /** Keeps a feature's part of this unit, found again with {@link #feature(Class)}. */
    public <T> void putFeature(Class<T> type, T part) {
        features.put(type, part);
    }

    /** The part of this unit a feature kept under {@code type}, or null. */
    public <T> T feature(Class<T> type) {
        return features.get(type);
    }

    /** Runs a short task on the unit's health thread after {@code delayMs}. Long work belongs on {@link #workers()}. */
    public HealthScheduler.Task schedule(Runnable task, long delayMs) {
        return monitor.scheduler().schedule(task, delayMs);
    }

    /** Daemon threads ({@code db-redundancy-worker-<unit>-N}) for longer background work; stopped on close. */
    public ExecutorService workers() {
        return threads.workers;
    }

    /** The unit's SessionFactory, or null until it is built. */
    public SessionFactoryImplementor sessionFactory() {
        return sessionFactory;
    }

    /** Passive signal: an error seen on {@code node}. See {@link HealthMonitor#reportFailure}. */
    public boolean reportFailure(Node node, Throwable cause) {
        return monitor.reportFailure(node, cause);
    }

    /**
     * A journal write on {@code node} was refused by the fencing check (the lease there names another node or a later
     * epoch): read the leases now, so this instance follows at once.
     */
    public void fenced(Node node) {
        leases.fenced(node);
    }

    /** The highest lease this instance has read from the databases, or null (none yet, or no lease table). */
    public Lease lease() {
        return monitor.knownLease();
    }

    /** Switches to the secondary; returns once every reachable database holds the new lease. */
    public SwitchEvent failover() {
        return leases.written(monitor.failover());
    }

    /** Switches to the primary; returns once every reachable database holds the new lease. */
    public SwitchEvent failback() {
        return leases.written(monitor.failback());
    }

    /** An immutable snapshot of the unit: health, counters, mirror and sync parts from the contributors. */
    public RedundancyStatus status() {
        return status.status(monitor.state(), monitor.clock().instant());
    }

    // ---------------------------------------------------------------- routing internals

    void bind(SessionFactoryImplementor sf) {
        this.sessionFactory = sf;
    }

    ConnectionRouter router() {
        return router;
    }

    @Override
    public void close() {
        closed = true;
        LIVE.remove(this);
        features.close();
        leases.close();
        monitor.close();
        NodePools.closeAll(dataSources.values(), threads.workers, unit);
        threads.shutdown();
        LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] unit " + unit + " stopped");
    }

    @Override
    public String toString() {
        return "RedundancyRuntime[" + unit + ", " + monitor.state().active() + "]";
    }
}
