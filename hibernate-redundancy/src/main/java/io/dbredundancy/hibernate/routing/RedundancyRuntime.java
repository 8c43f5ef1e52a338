package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.NodeConfig;
import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.RedundancyStatus;
import io.dbredundancy.hibernate.SwitchEvent;
import io.dbredundancy.hibernate.SwitchListener;
import io.dbredundancy.hibernate.health.HealthMonitor;
import io.dbredundancy.hibernate.health.HealthPolicy;
import io.dbredundancy.hibernate.health.HealthScheduler;
import io.dbredundancy.hibernate.health.HealthState;
import io.dbredundancy.hibernate.health.JdbcProber;
import io.dbredundancy.hibernate.health.ThreadHealthScheduler;
import io.dbredundancy.hibernate.status.StatusContributor;
import org.hibernate.engine.spi.SessionFactoryImplementor;

import javax.sql.DataSource;
import java.time.Clock;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;

/**
 * Internal: the composition root of one persistence unit: the validated config, a DataSource per node (a HikariCP
 * pool, or the container's DataSource in JNDI mode), the start check, the health monitor and its scheduler thread, the
 * connection router and the switch gate; the unit's lease ({@link UnitLease}), the second-level cache's eviction
 * ({@link CacheEviction}) and the status ({@link StatusAssembly}) are parts of their own. Features attach through it:
 * the mirror (through its {@code MirrorHost}), the sync and schema migration (a {@link UnitFeature}), metrics; the
 * plugin's tests and benchmarks find it with {@link RuntimeLookup} (users have the {@code Redundancy} facade). Created
 * by {@link RedundantConnectionProvider#start()}, closed by its {@code stop()}.
 */
public final class RedundancyRuntime implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.routing");

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
    private final CacheEviction cache = new CacheEviction();
    private volatile boolean closed;

    private RedundancyRuntime(String unit, RedundancyConfig config, Clock clock) {
        this.unit = unit;
        this.config = config;
        long acquireTimeoutMs = Math.max(1000, 2 * config.healthTimeoutMs());
        this.threads = new UnitThreads(unit);
        dataSources.putAll(JndiLookup.lookupAll(config, nodes()));
        Map<Node, JdbcProber.Opener> openers = NodePools.openers(config, nodes(), dataSources);
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
        LiveUnits.add(rt);
        HealthState s = rt.monitor.state();
        LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] unit " + unit + " started: primary "
                + config.primary().displayUrl() + ", secondary "
                + config.secondary().map(NodeConfig::displayUrl).orElse("none") + "; serving from " + s.active()
                + ", status " + s.status());
        return rt;
    }

    private List<Node> nodes() {
        return config.redundancyEnabled() ? List.of(Node.PRIMARY, Node.SECONDARY) : List.of(Node.PRIMARY);
    }

    /** The provider's reaction to a switch: gate the new node, free threads blocked on the failed one, evict the cache. */
    private void onSwitch(SwitchEvent e) {
        gate.switched(e, threads.workers);
        router.switched(e, threads.workers);
        cache.switched(e);
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
        cache.bind(sf);
    }

    ConnectionRouter router() {
        return router;
    }

    @Override
    public void close() {
        closed = true;
        LiveUnits.remove(this);
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
