package io.dbredundancy.hibernate.routing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.NodeConfig;
import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.RedundancyConfigException;
import io.dbredundancy.hibernate.health.ActiveNode;
import io.dbredundancy.hibernate.health.HealthMonitor;
import io.dbredundancy.hibernate.health.HealthPolicy;
import io.dbredundancy.hibernate.health.HealthScheduler;
import io.dbredundancy.hibernate.health.HealthState;
import io.dbredundancy.hibernate.health.JdbcProber;
import io.dbredundancy.hibernate.health.NodeHealth;
import io.dbredundancy.hibernate.health.ProbeResult;
import io.dbredundancy.hibernate.health.SwitchEvent;
import io.dbredundancy.hibernate.health.SwitchListener;
import io.dbredundancy.hibernate.health.ThreadHealthScheduler;
import io.dbredundancy.hibernate.lease.Lease;
import io.dbredundancy.hibernate.lease.LeaseKeeper;
import io.dbredundancy.hibernate.status.RedundancyStatus;
import io.dbredundancy.hibernate.status.StatusContributor;
import io.dbredundancy.hibernate.sync.Endpoint;
import io.dbredundancy.hibernate.sync.SafetyNetSync;
import io.dbredundancy.hibernate.sync.SchemaMigrator;
import io.dbredundancy.hibernate.sync.SyncActivity;
import io.dbredundancy.hibernate.sync.SyncException;
import io.dbredundancy.hibernate.sync.SyncService;
import io.dbredundancy.hibernate.RedundancySettings;
import org.hibernate.engine.spi.SessionFactoryImplementor;

import javax.naming.InitialContext;
import javax.naming.NamingException;
import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * SPI: everything the plugin runs for one persistence unit: the validated config, a DataSource per node (a HikariCP
 * pool, or the container's DataSource in JNDI mode), the health monitor and its scheduler thread, the switch
 * listeners and status contributors, and the SessionFactory once built. Other features (mirror, sync, metrics,
 * demo) hook in here; find it with {@code Redundancy.of(emf).runtime()}. Created by
 * {@link RedundantConnectionProvider#start()}, closed by its {@code stop()}.
 */
public final class RedundancyRuntime implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.routing");
    private static final Set<RedundancyRuntime> LIVE = ConcurrentHashMap.newKeySet();

    private final String unit;
    private final RedundancyConfig config;
    private final Map<Node, DataSource> dataSources = new EnumMap<>(Node.class);
    private final Map<Node, Set<TrackedConnection>> inUse = new EnumMap<>(Node.class);
    private final List<StatusContributor> contributors = new CopyOnWriteArrayList<>();
    private final ExecutorService workers;
    private final ThreadPoolExecutor probeThreads;
    private final HealthMonitor monitor;
    private volatile SessionFactoryImplementor sessionFactory;
    private static final long ACQUIRE_SLICE_MS = 50;
    private volatile SyncService sync;
    private volatile SyncActivity syncActivity;
    private volatile boolean closed;
    private volatile SchemaMigrator migrator;
    private final long acquireTimeoutMs;
    private final LeaseKeeper leases;
    private final List<SwitchPreparer> preparers = new CopyOnWriteArrayList<>();
    private volatile Gate gate;
    private final java.util.concurrent.atomic.AtomicLong lastFencedEpoch = new java.util.concurrent.atomic.AtomicLong(-1);
    /** How long a session waits for the preparers of a switch before it goes on anyway. */
    private final long prepareWaitMs;

    /**
     * SPI: work that must finish before sessions use the node a switch went to (moving its sequences past the ids
     * issued on the other node, say). Runs on a worker right after the switch; new sessions on that node wait for it,
     * up to {@code max(1000, 2 × health.timeout_ms)} ms. Keep it short and bounded.
     */
    @FunctionalInterface
    public interface SwitchPreparer {
        void prepare(SwitchEvent switched) throws Exception;
    }

    /** The preparation of the switch to {@code node} in {@code epoch}. */
    private record Gate(Node node, long epoch, CompletableFuture<Void> done) {
    }

    private RedundancyRuntime(String unit, RedundancyConfig config, Clock clock) {
        this.unit = unit;
        this.config = config;
        this.acquireTimeoutMs = Math.max(1000, 2 * config.healthTimeoutMs());
        this.prepareWaitMs = acquireTimeoutMs;
        this.workers = Executors.newCachedThreadPool(daemon("db-redundancy-worker-" + unit));
        this.probeThreads = new ThreadPoolExecutor(0, 16, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                daemon("db-redundancy-probe-" + unit));
        Map<Node, JdbcProber.Opener> openers = new EnumMap<>(Node.class);
        for (Node n : nodes()) {
            NodeConfig nc = config.node(n);
            DataSource ds = nc.isJndi() ? lookup(nc) : null;
            openers.put(n, ds != null ? JdbcProber.dataSource(ds) : JdbcProber.driver(nc.jdbcUrl(), nc.user(), nc.password()));
            if (ds != null) {
                dataSources.put(n, ds);
            }
            inUse.put(n, ConcurrentHashMap.newKeySet());
        }
        JdbcProber prober = new JdbcProber(openers);
        HealthPolicy policy = HealthPolicy.from(config);
        HealthState initial;
        Map<Node, java.util.Optional<Lease>> atStart = Map.of();
        try {
            initial = startCheck(prober, policy, clock);
            leases = config.redundancyEnabled() ? new LeaseKeeper(openers, workers, unit, policy) : null;
            if (leases != null) {
                atStart = leases.readAtStart(initial);
                initial = followLeaseAtStart(initial, atStart, policy);
            }
        } catch (RuntimeException e) {
            prober.close();
            workers.shutdownNow();
            probeThreads.shutdownNow();
            throw e;
        }
        for (Node n : nodes()) {
            if (!dataSources.containsKey(n)) {
                dataSources.put(n, pool(config.node(n), policy));
            }
        }
        this.monitor = new HealthMonitor(unit, policy, initial, prober, clock, new ThreadHealthScheduler(unit),
                probeThreads);
        monitor.addListener(this::onSwitch);
        atStart.forEach((n, l) -> monitor.observeLease(n, true, l.orElse(null)));
    }

    /**
     * The state at start when the databases hold a lease: serve from the node it names in its epoch; when that node is
     * down, take the other in the next epoch, unless other instances renewed the lease within
     * {@link HealthPolicy#leaseTtlMs()} (they serve from a node this instance cannot reach: it serves from none).
     */
    private HealthState followLeaseAtStart(HealthState s, Map<Node, java.util.Optional<Lease>> read, HealthPolicy policy) {
        Lease best = Lease.best(read.values().stream().map(o -> o.orElse(null)).toList());
        if (best == null || (best.active() == Node.SECONDARY && s.secondary() == null)) {
            return s;
        }
        Instant now = s.startedAt();
        NodeHealth named = s.health(best.active());
        NodeHealth other = s.health(best.active().other());
        if (named.up()) {
            if (best.active() != Node.PRIMARY) {
                LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] the lease names the " + best.active()
                        + " database (" + best + "): serving from it; failback follows the usual rules");
            }
            return HealthState.initial(s.primary(), s.secondary(), now, ActiveNode.of(best.active()), best.epoch(),
                    best.manual());
        }
        if (other != null && other.up() && best.ageMs() > policy.leaseTtlMs()) {
            LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] the lease names the " + best.active() + " database ("
                    + best + "), which is down and which no instance has renewed for " + best.ageMs() + " ms: serving from"
                    + " the " + other.node() + " in epoch " + (best.epoch() + 1));
            return HealthState.initial(s.primary(), s.secondary(), now, ActiveNode.of(other.node()), best.epoch() + 1,
                    false);
        }
        if (other != null && other.up()) {
            LOG.log(System.Logger.Level.ERROR, "[DB-Redundancy] not serving: the lease names the " + best.active()
                    + " database (" + best + ", renewed " + best.ageMs() + " ms ago), which other instances serve and"
                    + " this instance cannot reach; it follows when it can, or takes the " + other.node() + " once the"
                    + " lease is " + policy.leaseTtlMs() + " ms old");
        }
        return HealthState.initial(s.primary(), s.secondary(), now, ActiveNode.NONE, best.epoch(), false);
    }

    /** Checks both nodes, builds the pools and starts the health thread. Fails on configuration errors only. */
    static RedundancyRuntime start(String unit, RedundancyConfig config) {
        RedundancyRuntime rt = new RedundancyRuntime(unit, config, Clock.systemUTC());
        List<Node> notMigrated;
        try {
            notMigrated = rt.migrateSchema();
        } catch (RuntimeException e) {
            rt.close();
            throw e;
        }
        rt.monitor.start();
        if (rt.leases != null) {
            rt.leases.start(rt.monitor);
        }
        rt.startSync();
        for (Node n : notMigrated) {
            rt.migrateWhenBack(n);
        }
        LIVE.add(rt);
        HealthState s = rt.monitor.state();
        LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] unit " + unit + " started: primary "
                + config.primary().displayUrl() + ", secondary "
                + config.secondary().map(NodeConfig::displayUrl).orElse("none") + "; serving from " + s.active()
                + ", status " + s.status());
        return rt;
    }

    private Endpoint endpoint(Node node) {
        return Endpoint.of(node, dataSources.get(node), config.node(node).displayUrl());
    }

    /**
     * {@code hibernate.redundancy.schema.changelog}: applies the changelog to every node that is up, the primary
     * first, each under its own Liquibase lock. A failure stops the start with one line naming the database.
     *
     * @return the nodes that were down and are still to migrate
     */
    private List<Node> migrateSchema() {
        String changelog = config.schemaChangelog();
        if (changelog == null || changelog.isBlank()) {
            return List.of();
        }
        // the application's loader (Hibernate boots on its thread) sees its own changelogs; else the library's
        ClassLoader app = Thread.currentThread().getContextClassLoader();
        migrator = app != null && app.getResource(changelog) != null ? new SchemaMigrator(app) : new SchemaMigrator();
        HealthState s = monitor.state();
        List<Endpoint> up = new java.util.ArrayList<>();
        List<Node> down = new java.util.ArrayList<>();
        for (Node n : nodes()) {
            NodeHealth h = s.health(n);
            if (h != null && h.up()) {
                up.add(endpoint(n));
            } else {
                down.add(n);
                LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] the " + n + " database "
                        + config.node(n).displayUrl() + " is down at start: " + RedundancySettings.SCHEMA_CHANGELOG
                        + " (" + changelog + ") is applied to it when it is back (or run: redundancy migrate"
                        + " --changelog " + changelog + ")");
            }
        }
        try {
            migrator.migrateBoth(changelog, up);
        } catch (SyncException e) {
            throw new RedundancyConfigException(RedundancySettings.SCHEMA_CHANGELOG, RedundancySettings.SCHEMA_CHANGELOG
                    + ": " + io.dbredundancy.hibernate.DatabaseUrl.mask(e.getMessage()), e);
        }
        return down;
    }

    /** Applies the schema changelog to {@code node} once the health monitor sees it up again (checked every probe period). */
    private void migrateWhenBack(Node node) {
        if (closed) {
            return;
        }
        long period = Math.max(500, config.healthIntervalMs());
        schedule(() -> {
            NodeHealth h = monitor.state().health(node);
            if (closed) {
                return;
            }
            if (h == null || !h.up()) {
                migrateWhenBack(node);
                return;
            }
            workers.execute(() -> {
                try {
                    migrator.migrate(config.schemaChangelog(), endpoint(node));
                } catch (SyncException e) {
                    if (e.getCause() instanceof SQLException) {
                        migrateWhenBack(node); // not reachable after all: try again later
                    } else {
                        LOG.log(System.Logger.Level.ERROR, "[DB-Redundancy] " + RedundancySettings.SCHEMA_CHANGELOG
                                + ": " + io.dbredundancy.hibernate.DatabaseUrl.mask(e.getMessage())
                                + " (fix it and run: redundancy migrate)");
                    }
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "[DB-Redundancy] " + RedundancySettings.SCHEMA_CHANGELOG
                            + ": migration of the " + node + " database failed: "
                            + io.dbredundancy.hibernate.DatabaseUrl.mask(String.valueOf(e.getMessage())));
                }
            });
        }, period);
    }

    /**
     * The sync service over the unit's pools and, when {@code sync.interval_ms} > 0, the scheduled safety net (on the
     * health thread and the workers); both report through one status contributor.
     */
    private void startSync() {
        if (!config.redundancyEnabled()) {
            return;
        }
        sync = new SyncService(endpoint(Node.PRIMARY), endpoint(Node.SECONDARY));
        SafetyNetSync net = null;
        if (config.syncIntervalMs() > 0) {
            net = new SafetyNetSync(sync, () -> {
                // from the serving node to the other, only while the other is up (no failed run every period)
                HealthState s = monitor.state();
                Node active = s.active().node();
                NodeHealth other = active == null ? null : s.health(active.other());
                return other != null && other.up() ? active : null;
            }, config.syncIntervalMs());
        }
        syncActivity = new SyncActivity(net, monitor.clock());
        addStatusContributor(syncActivity);
        if (net != null) {
            net.start((task, delayMs) -> schedule(task, delayMs), workers);
        }
    }

    /** The single live runtime of this JVM, or null when there are none or several. */
    static RedundancyRuntime onlyRuntime() {
        return LIVE.size() == 1 ? LIVE.iterator().next() : null;
    }

    private List<Node> nodes() {
        return config.redundancyEnabled() ? List.of(Node.PRIMARY, Node.SECONDARY) : List.of(Node.PRIMARY);
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static DataSource lookup(NodeConfig nc) {
        try {
            Object o = new InitialContext().lookup(nc.jndiName());
            if (o instanceof DataSource ds) {
                return ds;
            }
            throw new RedundancyConfigException(nc.urlProperty(), nc.urlProperty() + " names '" + nc.jndiName()
                    + "', which is a " + (o == null ? "null" : o.getClass().getName()) + ", not a javax.sql.DataSource");
        } catch (NamingException e) {
            throw new RedundancyConfigException(nc.urlProperty(), nc.urlProperty() + ": no DataSource bound at JNDI name '"
                    + nc.jndiName() + "' (" + e.getMessage() + ")", e);
        }
    }

    /** The first check of each node, in parallel. Wrong credentials, hosts or databases stop the start. */
    private HealthState startCheck(JdbcProber prober, HealthPolicy policy, Clock clock) {
        long timeout = Math.max(policy.timeoutMs(), 2000);
        Map<Node, CompletableFuture<ProbeResult>> checks = new EnumMap<>(Node.class);
        for (Node n : nodes()) {
            checks.put(n, CompletableFuture.supplyAsync(() -> prober.probe(n, timeout), workers));
        }
        Map<Node, ProbeResult> results = new EnumMap<>(Node.class);
        for (Node n : nodes()) {
            ProbeResult r;
            try {
                r = checks.get(n).get(timeout + 2000, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                r = ProbeResult.timedOut(timeout);
            }
            results.put(n, r);
        }
        for (Node n : nodes()) {
            ProbeResult r = results.get(n);
            if (r.configurationError()) {
                NodeConfig nc = config.node(n);
                String what = switch (r.kind()) {
                    case AUTHENTICATION -> "the " + n + " database rejected the credentials of user '" + nc.user()
                            + "' (check " + nc.urlProperty().replace(".url", ".user") + "/password or the URL's credentials)";
                    case UNKNOWN_HOST -> "unknown host '" + (nc.url() == null ? "?" : nc.url().host()) + "'";
                    default -> "the " + n + " database does not exist";
                };
                throw new RedundancyConfigException(nc.urlProperty(), nc.urlProperty() + ": " + what + " ("
                        + nc.displayUrl() + "): " + r.error());
            }
        }
        Instant now = clock.instant();
        ProbeResult pr = results.get(Node.PRIMARY);
        NodeHealth primary = NodeHealth.initial(Node.PRIMARY, pr.ok(), pr.latencyMs(), now, pr.error());
        NodeHealth secondary = null;
        if (config.redundancyEnabled()) {
            ProbeResult sr = results.get(Node.SECONDARY);
            secondary = NodeHealth.initial(Node.SECONDARY, sr.ok(), sr.latencyMs(), now, sr.error());
        }
        String sec = config.secondary().map(NodeConfig::displayUrl).orElse(null);
        if (!config.redundancyEnabled()) {
            LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] no secondary database configured"
                    + " (hibernate.redundancy.secondary.url / DATABASE_URL_SECONDARY): redundancy disabled, running on"
                    + " the primary alone");
        }
        if (!pr.ok() && secondary != null && secondary.up()) {
            LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] primary " + config.primary().displayUrl()
                    + " is down at start (" + pr.error() + "): serving from the secondary " + sec);
        } else if (pr.ok() && secondary != null && !secondary.up()) {
            LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] secondary " + sec + " is down at start ("
                    + results.get(Node.SECONDARY).error() + "): serving from the primary, status degraded");
        } else if (!pr.ok()) {
            LOG.log(System.Logger.Level.ERROR, "[DB-Redundancy] " + (secondary == null ? "the primary database is"
                    : "Both primary and secondary databases are") + " unavailable at start (primary: " + pr.error()
                    + (secondary == null ? "" : "; secondary: " + results.get(Node.SECONDARY).error())
                    + "): sessions fail until one returns");
        }
        return HealthState.initial(primary, secondary, now);
    }

    private HikariDataSource pool(NodeConfig nc, HealthPolicy policy) {
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("db-redundancy-" + nc.node().id());
        hc.setJdbcUrl(nc.jdbcUrl());
        if (nc.user() != null) {
            hc.setUsername(nc.user());
        }
        if (nc.password() != null) {
            hc.setPassword(nc.password());
        }
        hc.setMaximumPoolSize(config.poolMaxSize());
        hc.setMinimumIdle(config.poolMinIdle());
        hc.setInitializationFailTimeout(-1);
        long acquire = acquireTimeoutMs;
        hc.setConnectionTimeout(acquire);
        hc.setValidationTimeout(Math.max(250, Math.min(policy.timeoutMs(), acquire - 1)));
        hc.setKeepaliveTime(30_000);
        hc.addDataSourceProperty("connectTimeout", Long.toString(Math.max(1, (policy.timeoutMs() * 2 + 999) / 1000)));
        hc.addDataSourceProperty("tcpKeepAlive", "true");
        if (!nc.url().parameters().containsKey("ApplicationName")) {
            hc.addDataSourceProperty("ApplicationName", "db-redundancy");
        }
        return new HikariDataSource(hc);
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

    /** Adds work every switch must finish before sessions use its node; see {@link SwitchPreparer}. */
    public void addSwitchPreparer(SwitchPreparer preparer) {
        preparers.add(preparer);
    }

    public void removeListener(SwitchListener listener) {
        monitor.removeListener(listener);
    }

    public void addStatusContributor(StatusContributor contributor) {
        contributors.add(contributor);
    }

    public void removeStatusContributor(StatusContributor contributor) {
        contributors.remove(contributor);
    }

    /** Runs a short task on the unit's health thread after {@code delayMs}. Long work belongs on {@link #workers()}. */
    public HealthScheduler.Task schedule(Runnable task, long delayMs) {
        return monitor.scheduler().schedule(task, delayMs);
    }

    /** Daemon threads ({@code db-redundancy-worker-<unit>-N}) for longer background work; stopped on close. */
    public ExecutorService workers() {
        return workers;
    }

    /** The unit's SessionFactory, or null until it is built. */
    public SessionFactoryImplementor sessionFactory() {
        return sessionFactory;
    }

    /**
     * The sync service over this unit's pools (full, incremental, verify, repair, sequences).
     *
     * @throws IllegalStateException when no secondary is configured
     */
    public SyncService syncService() {
        SyncService s = sync;
        if (s == null) {
            throw new IllegalStateException("[DB-Redundancy] No secondary database is configured"
                    + " (hibernate.redundancy.secondary.url): there is nothing to sync");
        }
        return s;
    }

    /** The sync part of the status (API runs and the safety net); null when no secondary is configured. */
    public SyncActivity syncActivity() {
        return syncActivity;
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
        long epoch = monitor.state().epoch();
        if (lastFencedEpoch.getAndSet(epoch) != epoch) {
            LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] a write on the " + node + " database was refused by"
                    + " its lease (this instance is in epoch " + epoch + "): another instance switched; following");
        }
        if (leases != null) {
            leases.wake();
        }
    }

    /** The highest lease this instance has read from the databases, or null (none yet, or no lease table). */
    public Lease lease() {
        return monitor.knownLease();
    }

    public SwitchEvent failover() {
        return monitor.failover();
    }

    public SwitchEvent failback() {
        return monitor.failback();
    }

    /** An immutable snapshot of the unit: health, counters, mirror and sync parts from the contributors. */
    public RedundancyStatus status() {
        HealthState s = monitor.state();
        Instant now = monitor.clock().instant();
        RedundancyStatus.MirrorStatus mirror = null;
        Instant lastSync = null;
        String syncStatus = null;
        for (StatusContributor c : contributors) {
            try {
                mirror = mirror != null ? mirror : c.mirror();
                lastSync = lastSync != null ? lastSync : c.lastSync();
                syncStatus = syncStatus != null ? syncStatus : c.syncStatus();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] status contributor failed: " + e);
            }
        }
        return new RedundancyStatus(s.status(), s.redundancy(), s.active().id(),
                nodeStatus(s.primary(), config.primary()),
                s.secondary() == null ? null : nodeStatus(s.secondary(), config.secondary().orElseThrow()),
                s.failoverCount(), s.lastFailover(),
                Duration.between(s.lastSwitch(), now).toMillis(),
                mirror != null ? mirror : RedundancyStatus.MirrorStatus.off(),
                lastSync, syncStatus != null ? syncStatus : "idle", s.epoch());
    }

    private static RedundancyStatus.NodeStatus nodeStatus(NodeHealth h, NodeConfig nc) {
        return new RedundancyStatus.NodeStatus(h.connected(), Math.round(h.latencyMs() * 10) / 10.0, h.lastCheck(),
                h.consecutiveFailures(), nc.displayUrl(), h.lastError());
    }

    // ---------------------------------------------------------------- routing internals

    void bind(SessionFactoryImplementor sf) {
        this.sessionFactory = sf;
    }

    void track(Node node, TrackedConnection c) {
        inUse.get(node).add(c);
    }

    void untrack(Node node, TrackedConnection c) {
        inUse.get(node).remove(c);
    }

    /** Connections of {@code node} in use by sessions right now. */
    int inUse(Node node) {
        Set<TrackedConnection> s = inUse.get(node);
        return s == null ? 0 : s.size();
    }

    DataSource pooled(Node node) {
        return dataSources.get(node);
    }

    /** The provider's reaction to a switch: free threads blocked on the failed node, evict pools and the cache. */
    private void onSwitch(SwitchEvent e) {
        Node to = e.to().node();
        if (to != null && !preparers.isEmpty()) {
            List<SwitchPreparer> work = List.copyOf(preparers);
            gate = new Gate(to, e.epoch(), CompletableFuture.runAsync(() -> {
                for (SwitchPreparer p : work) {
                    try {
                        p.prepare(e);
                    } catch (Exception ex) {
                        LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] preparing the switch to the " + to
                                + " failed: " + io.dbredundancy.hibernate.DatabaseUrl.mask(String.valueOf(ex)));
                    }
                }
            }, workers));
        }
        Node from = e.from().node();
        if (from != null) {
            if (e.fromFailed()) {
                int n = 0;
                for (TrackedConnection c : List.copyOf(inUse.get(from))) {
                    c.abort(workers);
                    untrack(from, c);
                    n++;
                }
                if (n > 0) {
                    LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] aborted " + n + " connection(s) in use on the"
                            + " failed " + from + " database");
                }
            }
            if (dataSources.get(from) instanceof HikariDataSource h && h.getHikariPoolMXBean() != null) {
                h.getHikariPoolMXBean().softEvictConnections();
            }
        }
        SessionFactoryImplementor sf = sessionFactory;
        if (sf != null && e.to() != ActiveNode.NONE) {
            try {
                sf.getCache().evictAll();
            } catch (RuntimeException ex) {
                LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] second-level cache eviction failed: " + ex);
            }
        }
    }

    SQLException unavailable(Node node, HealthState s) {
        if (s.active() == ActiveNode.NONE) {
            if (s.secondary() == null) {
                return new SQLException("[DB-Redundancy] The primary database is unavailable and no secondary is"
                        + " configured (primary " + config.primary().displayUrl() + ": " + s.primary().lastError() + ")",
                        "08001");
            }
            return new SQLException("[DB-Redundancy] Both primary and secondary databases are unavailable (primary "
                    + config.primary().displayUrl() + ": " + s.primary().lastError() + "; secondary "
                    + config.secondary().orElseThrow().displayUrl() + ": " + s.secondary().lastError() + ")", "08001");
        }
        NodeConfig nc = node == Node.SECONDARY && s.secondary() == null ? null : config.node(node);
        if (nc == null) {
            return new SQLException("[DB-Redundancy] No secondary database is configured"
                    + " (hibernate.redundancy.secondary.url)", "08001");
        }
        return new SQLException("[DB-Redundancy] The " + node + " database " + nc.displayUrl() + " is down ("
                + s.health(node).lastError() + "); the " + s.active() + " database serves now: this session was"
                + " opened before the switch, open a new EntityManager/Session", "08001");
    }

    /** A connection of {@code node} for a session, tracked; fails at once when that node is known to be down. */
    Connection connection(Node node) throws SQLException {
        HealthState s = monitor.state();
        NodeHealth h = s.health(node);
        if (s.active() == ActiveNode.NONE || h == null || (s.active().node() != node && !h.up())) {
            throw unavailable(node, s);
        }
        awaitPrepared(node, s);
        Connection c;
        try {
            c = acquire(node, s.epoch());
        } catch (SQLException e) {
            monitor.reportFailure(node, e);
            throw e;
        }
        return TrackedConnection.wrap(c, node, this, s.epoch());
    }

    /**
     * Waits (bounded) until the preparers of the switch that made {@code node} active are done. The gate is set by
     * the first switch listener, a moment after the state changed: a session that sees the new state first waits
     * that moment for it.
     */
    private void awaitPrepared(Node node, HealthState s) {
        if (preparers.isEmpty() || s.active().node() != node) {
            return;
        }
        Gate g = gate;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(prepareWaitMs);
        while ((g == null || g.epoch() < s.epoch()) && s.epoch() > 0
                && monitor.clock().millis() - s.lastSwitch().toEpochMilli() < 100) {
            if (System.nanoTime() - deadline >= 0) {
                return;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(500_000); // the gate is set a moment after the switch
            g = gate;
        }
        if (g == null || g.node() != node || g.done().isDone()) {
            return;
        }
        try {
            g.done().get(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] the switch to the " + node + " is still being"
                    + " prepared after " + prepareWaitMs + " ms; sessions go on");
        } catch (java.util.concurrent.ExecutionException e) {
            // logged by the preparer
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Borrows from the node's pool. A HikariCP pool is waited on in slices of {@link #ACQUIRE_SLICE_MS}, so that a
     * thread waiting for a connection of a node that has just been switched away from (its pool drained by the
     * fault) gets the clear error at once instead of after the pool's whole connection time-out.
     */
    private Connection acquire(Node node, long epoch) throws SQLException {
        DataSource ds = dataSources.get(node);
        if (!(ds instanceof HikariDataSource h) || !(h.getHikariPoolMXBean() instanceof HikariPool pool)) {
            return ds.getConnection();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(acquireTimeoutMs);
        while (true) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            try {
                return pool.getConnection(Math.max(1, Math.min(ACQUIRE_SLICE_MS, left)));
            } catch (SQLTransientConnectionException e) {
                HealthState now = monitor.state();
                NodeHealth nodeHealth = now.health(node);
                if (now.epoch() != epoch && now.active().node() != node && (nodeHealth == null || !nodeHealth.up())) {
                    SQLException gone = unavailable(node, now);
                    gone.initCause(e);
                    throw gone;
                }
                if (System.nanoTime() - deadline >= 0) {
                    throw e;
                }
            }
        }
    }

    /** For boot and schema tooling: the serving node first, then the other; never tracked. */
    Connection anyConnection() throws SQLException {
        HealthState s = monitor.state();
        if (s.active() == ActiveNode.NONE) {
            throw unavailable(Node.PRIMARY, s); // both known down: at once, not after two pool time-outs
        }
        Node first = s.active() == ActiveNode.SECONDARY ? Node.SECONDARY : Node.PRIMARY;
        SQLException failure = null;
        for (Node n : List.of(first, first.other())) {
            NodeHealth h = s.health(n);
            if (h == null || (!h.up() && s.active() != ActiveNode.NONE)) {
                continue;
            }
            try {
                return dataSources.get(n).getConnection();
            } catch (SQLException e) {
                monitor.reportFailure(n, e);
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        SQLException e = unavailable(first, monitor.state().active() == ActiveNode.NONE ? monitor.state()
                : new HealthState(ActiveNode.NONE, s.primary(), s.secondary(), s.epoch(), s.failoverCount(),
                s.lastFailover(), s.lastSwitch(), false, s.startedAt()));
        if (failure != null) {
            e.initCause(failure);
        }
        throw e;
    }

    @Override
    public void close() {
        closed = true;
        LIVE.remove(this);
        SyncActivity activity = syncActivity;
        if (activity != null && activity.safetyNet() != null) {
            activity.safetyNet().close();
        }
        if (leases != null) {
            leases.close();
        }
        monitor.close();
        // a pool whose node is down can take seconds to stop (its connection filler backs off): close the pools in
        // parallel and wait a little; what is left finishes on daemon threads
        List<CompletableFuture<Void>> closing = new java.util.ArrayList<>();
        for (DataSource ds : dataSources.values()) {
            if (ds instanceof HikariDataSource h) {
                closing.add(CompletableFuture.runAsync(h::close, workers));
            }
        }
        try {
            CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] pools of unit " + unit + " still closing: " + e);
        }
        workers.shutdown();
        probeThreads.shutdownNow();
        LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] unit " + unit + " stopped");
    }

    @Override
    public String toString() {
        return "RedundancyRuntime[" + unit + ", " + monitor.state().active() + "]";
    }
}
