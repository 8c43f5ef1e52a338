package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.RedundancyConfig.MirrorMode;
import org.hibernate.SessionFactory;
import org.hibernate.engine.spi.SharedSessionContractImplementor;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The mirror of one persistence unit: the open transactions' buffers, one {@link Relay} per direction and the
 * LISTEN connections that wake them, and the figures of {@link #stats()}.
 * <p>
 * For the core: {@link #beforeSwitch(Node)} before new sessions go to another node, {@link #afterSwitch} once they
 * do, {@link #drainedTo(Node)}/{@link #awaitDrainedTo} before failback, {@link #pending(Node)} and
 * {@link #stats()} for the status. Found with {@link #of(SessionFactory)} or handed to
 * {@link MirrorHost#attach(MirrorRuntime)}.
 */
public final class MirrorRuntime implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.mirror");
    private static final Map<SessionFactory, MirrorRuntime> RUNTIMES = new ConcurrentHashMap<>();

    private final MirrorHost host;
    private final MirrorMode mode;
    private final Supplier<Set<String>> mirroredEntitiesSource;
    private final Supplier<String> sequenceGeneratorsSource;
    private volatile Optional<Set<String>> mirroredEntities;
    private volatile String sequenceGenerators;
    private final long syncTimeoutMs;
    private final Map<SharedSessionContractImplementor, TxBuffer> buffers = new ConcurrentHashMap<>();
    private final Map<Node, Relay> relays = new EnumMap<>(Node.class);
    private final CaptureStatement captureStatement;

    // figures
    private final Object statsLock = new Object();
    private final long[] lagSamples = new long[8192];
    private int lagCount;
    private int lagNext;
    private long appliedTotal;
    private final long[] perSecond = new long[10];
    private final long[] perSecondStamp = new long[10];
    private volatile Instant lastApplied;
    private final Map<Node, long[]> counts = new ConcurrentHashMap<>(); // pending, lagMs, parked, conflicts
    private volatile long syncFallbacks;
    private volatile String syncNote;
    private volatile boolean warnedNoTransaction;

    MirrorRuntime(MirrorHost host, MirrorMode mode, Supplier<Set<String>> mirroredEntities,
                  Supplier<String> sequenceGenerators, Supplier<java.util.List<CaptureStatement.Table>> tables,
                  long syncTimeoutMs) {
        this.captureStatement = new CaptureStatement(tables);
        this.host = host;
        this.mode = mode;
        this.mirroredEntitiesSource = mirroredEntities;
        this.sequenceGeneratorsSource = sequenceGenerators;
        this.syncTimeoutMs = syncTimeoutMs;
        for (Node n : Node.values()) {
            relays.put(n, new Relay(n, this));
        }
    }

    /** The mirror of the unit behind {@code sf} (an EntityManagerFactory unwraps to it), or null when not mirrored. */
    public static MirrorRuntime of(SessionFactory sf) {
        return RUNTIMES.get(sf);
    }

    static void register(SessionFactory sf, MirrorRuntime runtime) {
        RUNTIMES.put(sf, runtime);
    }

    static MirrorRuntime unregister(SessionFactory sf) {
        return RUNTIMES.remove(sf);
    }

    void start() {
        relays.values().forEach(Relay::start);
        LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] Mirror started: mode " + mode.name().toLowerCase());
    }

    @Override
    public void close() {
        relays.values().forEach(Relay::stop);
    }

    MirrorHost host() {
        return host;
    }

    public MirrorMode mode() {
        return mode;
    }

    long epoch() {
        return host.epoch();
    }

    boolean mirrors(String entityName) {
        Optional<Set<String>> m = mirroredEntities;
        if (m == null) {
            m = Optional.ofNullable(mirroredEntitiesSource.get());
            mirroredEntities = m;
            m.ifPresent(set -> LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] Mirror scope annotated: "
                    + set.size() + " entit" + (set.size() == 1 ? "y carries" : "ies carry") + " MirrorListener"));
        }
        return m.isEmpty() || m.get().contains(entityName);
    }

    private String sequenceGenerators() {
        String s = sequenceGenerators;
        if (s == null) {
            s = sequenceGeneratorsSource.get();
            sequenceGenerators = s;
        }
        return s;
    }

    /** The buffer of the session's current transaction, observing the transaction from its first change. */
    TxBuffer buffer(SharedSessionContractImplementor session) {
        TxBuffer buffer = buffers.get(session);
        if (buffer != null) {
            return buffer;
        }
        if (!session.isTransactionInProgress()) {
            if (!warnedNoTransaction) {
                warnedNoTransaction = true;
                LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] A change was written outside a transaction;"
                        + " it cannot be journaled atomically and is not mirrored (the sync service repairs it)");
            }
            return null;
        }
        Object tenant = session.getTenantIdentifierValue();
        if (tenant == null) {
            return null;
        }
        buffer = new TxBuffer(this, Node.fromId(tenant.toString()), session);
        buffers.put(session, buffer);
        // an observer of the session's transaction (the same SPI in Hibernate 6.6 and 7.x): it runs after the flush,
        // before the commit, and removes itself when the transaction completes
        session.getTransactionCoordinator().addObserver(buffer);
        return buffer;
    }

    void completed(SharedSessionContractImplementor session, TxBuffer buffer) {
        buffers.remove(session, buffer);
    }

    Relay relay(Node source) {
        return relays.get(source);
    }

    CaptureStatement captureStatement() {
        return captureStatement;
    }

    /** A transaction that journaled {@code journaled} on {@code origin} committed. */
    void committed(Node origin, TxBuffer.Journaled journaled, boolean anyInsert) {
        Relay relay = relays.get(origin);
        relay.wake();
        if (mode == MirrorMode.SYNC) {
            if (relay.awaitApplied(journaled, syncTimeoutMs)) {
                syncNote = null;
            } else {
                syncFallbacks++;
                String note = "sync mode fell back to the journal: " + origin.other().id() + " did not apply the"
                        + " commit within " + syncTimeoutMs + " ms" + (relay.lastError() != null ? " (" + relay.lastError() + ")" : "")
                        + "; it is applied when " + origin.other().id() + " returns";
                if (syncNote == null) {
                    LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] " + note);
                }
                syncNote = note;
            }
        }
    }

    /**
     * Copies the tables bulk statements marked on {@code source} to the other node (called by the relay of the active
     * node when it is idle and marks exist: bulk statements arrive without the safety net); the repair holds the
     * relay's lock itself, chunk by chunk.
     */
    void repairMarkedTables(Node source) {
        try {
            host.repairMarkedTables(source);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] Copying the tables bulk statements changed on the "
                    + source.id() + " database failed, will retry: "
                    + io.dbredundancy.hibernate.DatabaseUrl.mask(String.valueOf(e.getMessage())));
        }
    }

    /** Wakes the relay that drains the journal of {@code source}. */
    public void wake(Node source) {
        relays.get(source).wake();
    }

    // ---- schema ----

    /** Bumped with every change of the library's changelog (see mirror-v8.xml); a database reporting it needs no migration. */
    static final int SCHEMA_VERSION = 8;
    private final Map<Node, Boolean> schemaReady = new ConcurrentHashMap<>();

    /** Applies the library's changelog to every reachable node that lacks it (at start). */
    void ensureSchemas() {
        for (Node n : Node.values()) {
            ensureSchema(n);
        }
    }

    /**
     * Makes sure {@code node} has the mirror's tables and functions: a quick version check, and the library's
     * Liquibase changelog when they are missing or older. False when the node is unreachable (tried again later).
     */
    boolean ensureSchema(Node node) {
        if (Boolean.TRUE.equals(schemaReady.get(node))) {
            return true;
        }
        synchronized (schemaReady) {
            if (Boolean.TRUE.equals(schemaReady.get(node))) {
                return true;
            }
            try (Connection c = host.dataSource(node).getConnection()) {
                ensureLibrarySchema(c, node);
                schemaReady.put(node, true);
                return true;
            } catch (SQLException e) {
                return false;
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] Could not apply "
                        + io.dbredundancy.hibernate.sync.Migrations.LIBRARY_CHANGELOG + " to the " + node.id()
                        + " database: " + io.dbredundancy.hibernate.DatabaseUrl.mask(String.valueOf(e.getMessage())));
                return false;
            }
        }
    }

    /**
     * Applies the library's changelog on {@code c} when its version check ({@code redundancy_mirror_schema_version()})
     * reports an older one or none; commits when {@code c} is not in auto-commit. {@code node} is for the log.
     */
    public static void ensureLibrarySchema(Connection c, Node node) throws Exception {
        int version = 0;
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT CASE WHEN to_regproc('redundancy_mirror_schema_version') IS NULL THEN 0"
                        + " ELSE 1 END")) {
            rs.next();
            if (rs.getInt(1) == 1) {
                try (ResultSet rv = st.executeQuery("SELECT redundancy_mirror_schema_version()")) {
                    rv.next();
                    version = rv.getInt(1);
                }
            }
        }
        if (version < SCHEMA_VERSION) {
            long start = System.nanoTime();
            io.dbredundancy.hibernate.sync.Migrations.apply(c, io.dbredundancy.hibernate.sync.Migrations.LIBRARY_CHANGELOG,
                    MirrorRuntime.class.getClassLoader());
            if (!c.getAutoCommit()) {
                c.commit();
            }
            LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] Library tables (" + io.dbredundancy.hibernate.sync.Migrations.LIBRARY_CHANGELOG
                    + ") applied to the " + node.id() + " database in " + (System.nanoTime() - start) / 1_000_000 + " ms");
        }
    }

    /**
     * Marks {@code table} in {@code redundancy_dirty_table} of the active node: a statement changed it without entity
     * events, so the incremental sync copies it. Outside the statement's transaction (a rolled-back one leaves a
     * harmless mark).
     */
    void markDirty(String table, String reason) {
        Node node = host.activeNode();
        if (node == null) {
            return;
        }
        try (Connection c = host.dataSource(node).getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO redundancy_dirty_table (table_name, origin, reason) VALUES (?, ?, ?)"
                        + " ON CONFLICT (table_name) DO UPDATE SET reason = EXCLUDED.reason, marked_at = clock_timestamp()")) {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            ps.setString(1, table);
            ps.setString(2, node.id());
            ps.setString(3, reason);
            ps.executeUpdate();
            LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] Table " + table + " marked for the incremental sync: " + reason);
        } catch (SQLException e) {
            LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] Could not mark table " + table
                    + " for the incremental sync: " + io.dbredundancy.hibernate.DatabaseUrl.mask(String.valueOf(e.getMessage())));
        }
    }

    // ---- API for the core ----

    /** Journal entries on {@code source} not yet applied to the other node; -1 when {@code source} is unreachable. */
    public long pending(Node source) {
        try (Connection c = host.dataSource(source).getConnection(); Statement st = timeout(c.createStatement());
             ResultSet rs = st.executeQuery("SELECT count(*) FROM redundancy_journal")) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            return -1;
        }
    }

    /** How long a pass of the failback gate stays valid: older, it waits for a new relay cycle. */
    static final long FAILBACK_GATE_MS = 5_000;
    /** How long the gate waits for the relay's cycle before it holds the failback for this round. */
    static final long GATE_WAIT_MS = 100;
    private long gateCycle = -1;
    private long gateSince;

    /**
     * The failback gate: null when failing back to the primary may happen now, else why not. Failback waits until the
     * relay from the secondary has applied everything that had committed there when the gate was first asked (a
     * relay cycle that began after it applied all it saw): a backlog of any age holds it, while writes that keep
     * arriving do not hold it for ever (they follow a moment later; the epoch rule keeps the newer change of a row).
     * It never touches a database: it reads the relay's progress, so a frozen secondary cannot stall the health
     * thread. An unreachable secondary does not hold it back.
     */
    public synchronized String failbackHold() {
        Relay relay = relays.get(Node.SECONDARY);
        if (relay.sourceDown()) {
            gateCycle = -1;
            return null;
        }
        long now = System.nanoTime();
        if (gateCycle < 0 || now - gateSince > FAILBACK_GATE_MS * 1_000_000L) {
            gateCycle = relay.cyclesStarted();
            gateSince = now;
        }
        relay.wake();
        // an idle relay finishes a cycle in a few ms; a backlog (or a slow secondary) holds the gate, not the thread
        if (relay.appliedAllSince(gateCycle, GATE_WAIT_MS)) {
            gateCycle = -1;
            return null;
        }
        long[] c = counts.get(Node.SECONDARY);
        return "changes written on the secondary are not yet applied to the primary"
                + (c != null && c[0] > 0 ? " (" + c[0] + " pending, oldest " + c[1] + " ms)" : "");
    }

    private static Statement timeout(Statement st) throws SQLException {
        st.setQueryTimeout(5);
        return st;
    }

    /** True when everything journaled on the other node has been applied to {@code target}. */
    public boolean drainedTo(Node target) {
        return pending(target.other()) == 0;
    }

    /** Wakes the relay towards {@code target} and waits until {@link #drainedTo} or the time is up. */
    public boolean awaitDrainedTo(Node target, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Relay relay = relays.get(target.other());
        while (true) {
            if (drainedTo(target)) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            relay.wake();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /**
     * Before new sessions go to {@code to}: moves its sequences and identity columns past every id issued on the
     * other node (from {@code to}'s own rows, and from the other node's sequences when it answers), so no insert there
     * hits a duplicate key. Best effort; returns the number of sequences moved.
     */
    public int beforeSwitch(Node to) {
        return alignToOwnRows(to, 1) + alignToOther(to);
    }

    /**
     * Ids to leave free above {@code to}'s own rows after a switch away from a node that failed, in allocation blocks
     * of each generator: room for the rows it took that were not relayed yet and for the id blocks application
     * instances hold in memory from its sequences (ids skipped make a gap, never a duplicate).
     */
    public static final long FAILED_NODE_MARGIN = 1000;

    /**
     * Moves {@code to}'s sequences past its own rows' ids (those the relay brought from the other node included), by
     * {@code margin} allocation blocks.
     */
    public int alignToOwnRows(Node to, long margin) {
        return SequenceAligner.toOwnRows(host.dataSource(to), to, sequenceGenerators(), margin);
    }

    /** Moves {@code to}'s sequences past the other node's sequences; 0 when the other node does not answer. */
    public int alignToOther(Node to) {
        return SequenceAligner.toOther(host.dataSource(to.other()), host.dataSource(to), to);
    }

    /** After the switch to {@code to} in {@code epoch}: records the epoch in both databases (where reachable). */
    public void afterSwitch(Node from, Node to, long epoch) {
        for (Node n : Node.values()) {
            try (Connection c = host.dataSource(n).getConnection(); PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO redundancy_epoch (id, epoch, active_node, changed_at) VALUES (1, ?, ?, clock_timestamp())"
                            + " ON CONFLICT (id) DO UPDATE SET epoch = EXCLUDED.epoch, active_node = EXCLUDED.active_node,"
                            + " changed_at = EXCLUDED.changed_at WHERE redundancy_epoch.epoch <= EXCLUDED.epoch")) {
                c.setAutoCommit(true);
                ps.setLong(1, epoch);
                ps.setString(2, to.id());
                ps.executeUpdate();
            } catch (SQLException e) {
                // that node is down; it learns the epoch from the journal entries it receives
            }
        }
        relays.values().forEach(Relay::wake);
    }

    /** Applies what is pending in both directions now, on the calling thread (tests, tools). */
    public void drainNow() {
        for (Relay r : relays.values()) {
            r.cycle();
        }
    }

    // ---- figures ----

    void recordApplied(Node source, int n, long[] createdMs, long nowMs, int conflicts, int parked) {
        synchronized (statsLock) {
            appliedTotal += n;
            long sec = nowMs / 1000;
            int slot = (int) (sec % perSecond.length);
            if (perSecondStamp[slot] != sec) {
                perSecondStamp[slot] = sec;
                perSecond[slot] = 0;
            }
            perSecond[slot] += n;
            for (long c : createdMs) {
                lagSamples[lagNext] = Math.max(0, nowMs - c);
                lagNext = (lagNext + 1) % lagSamples.length;
                lagCount = Math.min(lagCount + 1, lagSamples.length);
            }
        }
        lastApplied = Instant.ofEpochMilli(nowMs);
        if (conflicts > 0 || parked > 0) {
            relays.get(source).refreshCounts(true);
        }
    }

    void recordCounts(Node source, long pending, long lagMs, long parked, long conflicts) {
        counts.put(source, new long[]{pending, lagMs, parked, conflicts});
    }

    void recordCountsUnknown(Node source) {
        long[] old = counts.get(source);
        counts.put(source, new long[]{-1, old == null ? 0 : old[1], old == null ? 0 : old[2], old == null ? 0 : old[3]});
    }

    /** The mirror's figures now (counts refreshed at most once a second by the relays). */
    public MirrorStats stats() {
        long[] p = counts.getOrDefault(Node.PRIMARY, new long[4]);
        long[] s = counts.getOrDefault(Node.SECONDARY, new long[4]);
        double perSec;
        long total;
        long p99;
        synchronized (statsLock) {
            long nowSec = System.currentTimeMillis() / 1000;
            long sum = 0;
            for (int i = 0; i < perSecond.length; i++) {
                if (perSecondStamp[i] > nowSec - perSecond.length && perSecondStamp[i] < nowSec) {
                    sum += perSecond[i];
                }
            }
            perSec = sum / (double) (perSecond.length - 1);
            total = appliedTotal;
            long[] copy = Arrays.copyOf(lagSamples, lagCount);
            Arrays.sort(copy);
            p99 = copy.length == 0 ? 0 : copy[Math.min(copy.length - 1, (int) Math.ceil(copy.length * 0.99) - 1)];
        }
        String note = syncNote;
        for (Relay r : relays.values()) {
            if (r.targetDown()) {
                String n = r.source().other().id() + " unreachable; " + r.source().id() + " journals its changes until it returns";
                note = note == null ? n : note + "; " + n;
            }
        }
        return new MirrorStats(mode.name().toLowerCase(), p[0], s[0], Math.max(p[0] > 0 ? p[1] : 0, s[0] > 0 ? s[1] : 0),
                lastApplied, p[3] + s[3], p[2] + s[2], perSec, total, p99, note);
    }

    /** Resets the lag percentile window (benchmarks measure one phase at a time). */
    public void resetLagSamples() {
        synchronized (statsLock) {
            lagCount = 0;
            lagNext = 0;
        }
    }

    long syncFallbacks() {
        return syncFallbacks;
    }
}
