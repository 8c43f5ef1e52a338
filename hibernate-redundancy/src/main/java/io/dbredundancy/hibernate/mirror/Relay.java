package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.Node;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Applies the journal of one database ({@link #source}) to the other ({@link #target}), in journal order, in
 * batches, then deletes what it applied. One relay per direction and per application instance; a transaction-level
 * advisory lock on the source makes exactly one instance drain a journal at a time, so the order is kept with
 * many instances. Woken by {@link #wake()} (this instance's commits); it polls every {@value #POLL_MS} ms for the
 * commits of other instances (no LISTEN/NOTIFY: NOTIFY serialises every notifying commit on one lock, and it does not
 * pass PgBouncer's transaction mode). There is no linger: the commits that arrive while a batch is applied form the
 * next one.
 * <p>
 * Changes are applied as a replica ({@code session_replication_role = replica}, as PostgreSQL's logical replication
 * does): the target's own triggers and foreign-key checks do not fire, so trigger- and default-filled columns keep
 * the origin's values. Where the relay's user may not set it (superuser, or PostgreSQL 15+ {@code GRANT SET ON
 * PARAMETER session_replication_role}), the triggers fire; {@code redundancy.applying} is {@code on} in the relay's
 * transactions for triggers that should skip mirrored changes, and a batch's entries that fail a foreign key are
 * applied once more after the rest of the batch.
 * <p>
 * A batch is applied in one target transaction by {@code redundancy_apply}; if the database rejects it, the batch
 * is applied again entry by entry (each in a subtransaction) and the entries it rejects are parked in
 * {@code redundancy_parked} with their error, so they never hold back the ones behind them.
 */
final class Relay implements Runnable {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.mirror");

    static final int BATCH = 500;
    /**
     * A batch carries at most this many bytes of row images (plus its first entry, whatever its size), so its JSON
     * stays far below PostgreSQL's limits (1 GB of text, 256 MB of jsonb).
     */
    static final long BATCH_BYTES = 32L << 20;
    /** How often an idle relay looks for other instances' commits. */
    static final long POLL_MS = 100;
    static final long RETRY_MS = 500;
    /**
     * Under load (the last batch was not empty but smaller than {@value #GATHER_BELOW} entries) and with no sync-mode
     * commit waiting, the relay waits this long after a wake-up so that the commits in flight join the next batch.
     */
    static final long GATHER_NS = 2_000_000;
    static final int GATHER_BELOW = 64;
    private int lastBatch;

    /** How often the relay asks again whether it may apply as a replica. */
    static final long REPLICA_RECHECK_MS = 60_000;
    /** How long the source keeps its commit-outcome records ({@code redundancy_tx}). */
    static final java.time.Duration OUTCOME_RETENTION = java.time.Duration.ofHours(24);
    /** The old records are deleted at most this often. */
    static final long PRUNE_INTERVAL_MS = 10 * 60_000;
    /** Sequences are moved along at most this often (and at every switch, from the rows). */
    static final long ALIGN_INTERVAL_MS = 200;

    private final Node source;
    private final Node target;
    private final MirrorRuntime runtime;
    private final long lockKey;
    /** {@link #BATCH_BYTES}, or the system property {@code io.dbredundancy.mirror.batch_bytes} (tests). */
    private final long batchBytes = Long.getLong("io.dbredundancy.mirror.batch_bytes", BATCH_BYTES);

    /** How long the relay uses the pool after it failed to open its own connection to the target. */
    static final long DEDICATED_RETRY_MS = 5_000;
    private Connection dedicated;
    private long dedicatedRetryAt;

    private final Object signal = new Object();
    private boolean woken;
    private final Object progress = new Object();
    /** Cycles begun (incremented before the batch is read), and the progress of the last finished ones. */
    private volatile long cyclesStarted;
    private long completeCycle; // the last cycle that applied everything visible when it began
    private long fullCycle;     // the last cycle that applied a full batch, up to fullCycleLastId
    private long fullCycleLastId;
    private volatile boolean lockedByOther;
    private volatile Boolean replica;
    private long replicaCheckedAt;
    private volatile boolean targetDown;
    private volatile boolean sourceDown;
    private boolean marked;
    private volatile String lastError;
    private volatile boolean running = true;
    private Thread thread;
    private long lastCountsRefresh;
    private long lastAlign;
    private long lastPrune;
    private long lockedSince;
    private long lockedWarned;
    private volatile boolean alignPending;
    private final AtomicInteger syncWaiters = new AtomicInteger();

    private enum Outcome { IDLE, MORE, LOCKED, FAILED }

    Relay(Node source, MirrorRuntime runtime) {
        this.source = source;
        this.target = source.other();
        this.runtime = runtime;
        this.lockKey = lockKey(source);
    }

    /** The advisory lock that makes one relay at a time drain the journal of {@code source}. */
    static long lockKey(Node source) {
        return io.dbredundancy.hibernate.sync.RelayLock.key(source);
    }

    /**
     * The advisory lock, taken on the primary database, that the two directions hold while they apply a batch. Each
     * direction locks rows of both journals (its own batch on the source when it deletes it, the other journal's
     * pending entries of the same rows on the target when it resolves a conflict), in opposite orders: run at the
     * same time, after a failover left entries in both journals, they deadlock and time out again and again
     * (lock_timeout), and the secondary's journal never drains to the primary. Taken on the primary because both
     * directions need both databases anyway.
     */
    static final long PAIR_LOCK_KEY = 0x6D6972726F72L ^ 2;

    Node source() {
        return source;
    }

    void start() {
        thread = new Thread(this, "db-redundancy-mirror-relay-" + source.id() + "-to-" + target.id());
        thread.setDaemon(true);
        thread.start();
    }

    /** How long a stopping relay goes on applying what this instance committed last (a graceful shutdown). */
    static final long FINAL_DRAIN_MS = 2_000;

    void stop() {
        running = false;
        wake();
        if (thread != null) {
            try {
                thread.join(FINAL_DRAIN_MS + 2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    void wake() {
        synchronized (signal) {
            woken = true;
            signal.notifyAll();
        }
    }

    boolean targetDown() {
        return targetDown;
    }

    /** True when the last cycle could not reach the source. */
    boolean sourceDown() {
        return sourceDown;
    }

    String lastError() {
        return lastError;
    }

    /**
     * Waits until the entries of a committed transaction have been applied to the target (or parked, or lost a
     * conflict): until a cycle that began after the commit (so it saw them) applied everything it saw, or applied a
     * full batch reaching past them. Journal ids are issued before commit, so a transaction with a lower id can
     * commit after one with a higher id has been applied; the highest applied id says nothing about it. While another
     * instance drains the journal, the journal itself is asked. False when the target is down or the time is up.
     */
    boolean awaitApplied(TxBuffer.Journaled tx, long timeoutMs) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        long since = cyclesStarted;
        syncWaiters.incrementAndGet();
        try {
            wake();
            long lastAsked = 0;
            while (true) {
                synchronized (progress) {
                    if (completeCycle > since || (fullCycle > since && fullCycleLastId >= tx.last())) {
                        return true;
                    }
                    long left = (deadline - System.nanoTime()) / 1_000_000L;
                    if (left <= 0 || targetDown || !running) {
                        return false;
                    }
                    if (!lockedByOther || System.nanoTime() - lastAsked < 20_000_000L) {
                        try {
                            progress.wait(Math.min(left, 20));
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return false;
                        }
                        continue;
                    }
                }
                lastAsked = System.nanoTime();
                if (appliedByOther(tx)) {
                    return true;
                }
            }
        } finally {
            syncWaiters.decrementAndGet();
        }
    }

    /** True when the source's journal no longer holds the entries of {@code tx} (another instance applied them). */
    private boolean appliedByOther(TxBuffer.Journaled tx) {
        try (Connection c = runtime.host().dataSource(source).getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT NOT EXISTS (SELECT 1 FROM redundancy_journal WHERE id BETWEEN ? AND ? AND tx_id = ?)")) {
            ps.setQueryTimeout(2);
            ps.setLong(1, tx.first());
            ps.setLong(2, tx.last());
            ps.setLong(3, tx.xid());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        } catch (SQLException e) {
            return false;
        }
    }

    /** The number of cycles begun so far (see {@link #appliedAllSince}). */
    long cyclesStarted() {
        return cyclesStarted;
    }

    /** True when a cycle that began after {@code cycle} applied everything it saw, waiting up to {@code waitMs}. */
    boolean appliedAllSince(long cycle, long waitMs) {
        long deadline = System.nanoTime() + waitMs * 1_000_000L;
        synchronized (progress) {
            while (completeCycle <= cycle) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    return false;
                }
                try {
                    progress.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    private void finished(long cycle, boolean complete, long lastId) {
        synchronized (progress) {
            if (complete) {
                completeCycle = Math.max(completeCycle, cycle);
            } else if (cycle > fullCycle) {
                fullCycle = cycle;
                fullCycleLastId = lastId;
            }
            progress.notifyAll();
        }
    }

    @Override
    public void run() {
        loop();
        // stopping: hand over what is left, so the last commits do not wait for another instance or the next start
        long deadline = System.nanoTime() + FINAL_DRAIN_MS * 1_000_000L;
        try {
            while (System.nanoTime() < deadline) {
                Outcome o = cycle();
                if (o == Outcome.LOCKED) {
                    sleep(20); // another instance applies a batch; it may leave this instance's last commits to us
                } else if (o != Outcome.MORE) {
                    return;
                }
            }
        } finally {
            closeDedicated();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        while (running) {
            Outcome outcome = cycle();
            refreshCounts(false);
            if (marked && outcome == Outcome.IDLE && runtime.host().activeNode() == source) {
                marked = false;
                runtime.repairMarkedTables(source);
            }
            if (outcome == Outcome.IDLE) {
                pruneOutcomeRecords();
            }
            if (outcome == Outcome.MORE) {
                continue;
            }
            long waitMs = switch (outcome) {
                case FAILED -> RETRY_MS;
                case LOCKED -> 20;
                default -> alignPending ? Math.min(ALIGN_INTERVAL_MS, POLL_MS) : POLL_MS;
            };
            synchronized (signal) {
                if (!woken && running) {
                    try {
                        signal.wait(waitMs);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                woken = false;
            }
            if (lastBatch > 0 && lastBatch < GATHER_BELOW && syncWaiters.get() == 0 && running) {
                // under load a cycle's fixed cost (its round trips and plans on both databases) is paid per batch:
                // a moment for the commits in flight to join the next one; an idle relay applies at once
                java.util.concurrent.locks.LockSupport.parkNanos(GATHER_NS);
            }
        }
    }

    /** Drains once, on the calling thread (tests and failback use it through the runtime). */
    Outcome cycle() {
        if (!runtime.ensureSchema(source)) {
            fail("source " + source.id(), new SQLException(source.id() + " is unreachable", "08001"));
            return Outcome.FAILED;
        }
        if (!runtime.ensureSchema(target)) {
            fail("target " + target.id(), new SQLException(target.id() + " is unreachable", "08001"));
            return Outcome.FAILED;
        }
        // the target's connection first: a relay that cannot reach the target does not hold the source's relay lock
        // (another instance, whose link to the target works, drains the journal meanwhile)
        Connection dst = dedicatedTarget();
        boolean pooled = dst == null;
        if (pooled) {
            try {
                dst = runtime.host().dataSource(target).getConnection();
            } catch (SQLException e) {
                fail("target " + target.id(), e);
                return Outcome.FAILED;
            }
        }
        try (AutoCloseable giveBack = pooled ? dst : () -> { };
             Connection src = runtime.host().dataSource(source).getConnection()) {
            src.setAutoCommit(false);
            try {
                Outcome o = cycle(src, dst);
                if (src.getAutoCommit() == false) {
                    src.rollback();
                }
                return o;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(src);
                throw e;
            }
        } catch (SQLException e) {
            fail("source " + source.id(), e);
            return Outcome.FAILED;
        } catch (RuntimeException e) {
            fail("relay " + source.id(), e);
            return Outcome.FAILED;
        } catch (Exception e) { // closing the pooled target connection
            fail("target " + target.id(), e);
            return Outcome.FAILED;
        } finally {
            if (!pooled && dedicatedBroken()) {
                closeDedicated();
            }
        }
    }

    /**
     * The relay's own connection to the target (outside the pool), opened on first use with its session settings:
     * time-outs, {@code redundancy.applying}, and {@code session_replication_role = replica} when the user may set
     * it, so no relay transaction resets the target's plan cache by setting it. Null when the host offers none or the
     * last attempt failed less than {@value #DEDICATED_RETRY_MS} ms ago (the pool serves then).
     */
    private Connection dedicatedTarget() {
        if (dedicated != null) {
            return dedicated;
        }
        long now = System.currentTimeMillis();
        if (now < dedicatedRetryAt) {
            return null;
        }
        Connection c = null;
        try {
            c = runtime.host().relayConnection(target);
            if (c == null) {
                dedicatedRetryAt = Long.MAX_VALUE;
                return null;
            }
            c.setAutoCommit(true);
            try (Statement st = c.createStatement()) {
                // generic plans: the apply functions' statements would otherwise be planned again at every call (their
                // custom plans look cheaper for the batch at hand), which is most of a small batch's cost
                st.execute("SET lock_timeout = '2s'; SET statement_timeout = '30s'; SET redundancy.applying = 'on';"
                        + " SET plan_cache_mode = force_generic_plan");
            }
            dedicated = c;
            replicaCheckedAt = 0;
            checkReplica(c);
            return c;
        } catch (SQLException | RuntimeException e) {
            dedicated = null;
            dedicatedRetryAt = now + DEDICATED_RETRY_MS;
            if (c != null) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // broken
                }
            }
            return null;
        }
    }

    private boolean dedicatedBroken() {
        try {
            return dedicated != null && dedicated.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }

    private void closeDedicated() {
        Connection c = dedicated;
        dedicated = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // broken
            }
        }
    }

    private Outcome cycle(Connection src, Connection dst) throws SQLException {
        try (PreparedStatement ps = src.prepareStatement(
                "SELECT pg_try_advisory_xact_lock(?), set_config('lock_timeout', '2s', true),"
                        + " set_config('statement_timeout', '30s', true)")) {
            ps.setLong(1, lockKey);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    long now = System.currentTimeMillis();
                    if (lockedSince == 0) {
                        lockedSince = now;
                    } else if (now - lockedSince > 10_000 && now - lockedWarned > 10_000) {
                        lockedWarned = now;
                        LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] Mirror " + source.id() + " -> "
                                + target.id() + ": another session has held the journal's relay lock for "
                                + (now - lockedSince) / 1000 + " s (another instance's relay, or a sync or repair"
                                + " rewriting " + target.id() + "; pg_locks, advisory key " + lockKey + ")");
                    }
                    // another instance drains this journal: sync-mode waiters ask the journal itself
                    lockedByOther = true;
                    synchronized (progress) {
                        progress.notifyAll();
                    }
                    return Outcome.LOCKED;
                }
            }
        }
        lockedSince = 0;
        lockedByOther = false;
        long cycle = ++cyclesStarted;
        long[] ids;
        String batch;
        boolean anyInsert;
        long[] createdMs;
        boolean complete;
        try (PreparedStatement ps = src.prepareStatement(READ_BATCH)) {
            ps.setInt(1, BATCH);
            ps.setLong(2, batchBytes);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                Array a = rs.getArray(1);
                if (a == null) {
                    if (alignPending) {
                        alignSequences(src);
                    }
                    src.commit();
                    targetDownCleared();
                    finished(cycle, true, 0);
                    lastBatch = 0;
                    return Outcome.IDLE;
                }
                ids = longs((Object[]) a.getArray());
                batch = rs.getString(2);
                anyInsert = rs.getBoolean(3);
                createdMs = longs((Object[]) rs.getArray(4).getArray());
                long seen = rs.getLong(5);
                complete = seen < BATCH && ids.length == seen;
            }
        }
        if (source == Node.PRIMARY && !lockPair(src)) {
            src.rollback();
            return Outcome.LOCKED;
        }
        int conflicts = 0;
        List<long[]> parkedIds = new ArrayList<>();
        List<String> parkedErrors = new ArrayList<>();
        try {
            checkReplica(dst);
            dst.setAutoCommit(false);
            boolean pairOnDst = target == Node.PRIMARY;
            if (pairOnDst && !lockPair(dst)) {
                dst.rollback();
                src.rollback();
                return Outcome.LOCKED;
            }
            List<String[]> outcomes;
            try {
                outcomes = apply(dst, batch, false);
            } catch (SQLException e) {
                if (isConnectionError(e)) {
                    throw e;
                }
                dst.rollback();
                if (pairOnDst && !lockPair(dst)) { // the rollback released it
                    dst.rollback();
                    src.rollback();
                    return Outcome.LOCKED;
                }
                outcomes = apply(dst, batch, true);
            }
            for (String[] o : outcomes) {
                String outcome = o[1];
                if (outcome.startsWith("error:")) {
                    String state = outcome.length() > 11 ? outcome.substring(6, 11) : "";
                    if (isTransient(state)) {
                        throw new SQLException("transient error applying entry " + o[0] + ": " + outcome, state);
                    }
                    parkedIds.add(new long[]{Long.parseLong(o[0])});
                    parkedErrors.add(outcome.substring(6));
                } else if (outcome.equals("lost")) {
                    conflicts++;
                } else if (outcome.startsWith("won:")) {
                    conflicts += Integer.parseInt(outcome.substring(4));
                }
            }
            long nowMs = System.currentTimeMillis();
            if (anyInsert) {
                alignPending = true;
            }
            if (alignPending && nowMs - lastAlign >= ALIGN_INTERVAL_MS) {
                lastAlign = nowMs;
                alignPending = false;
                String positions;
                try (Statement st = src.createStatement();
                     ResultSet rs = st.executeQuery("SELECT redundancy_sequence_positions()::text")) {
                    rs.next();
                    positions = rs.getString(1);
                }
                try (PreparedStatement ps = dst.prepareStatement("SELECT redundancy_align_sequences(?::jsonb)")) {
                    ps.setString(1, positions);
                    ps.executeQuery().close();
                }
            }
            for (int i = 0; i < parkedIds.size(); i++) {
                try (PreparedStatement ps = src.prepareStatement(
                        "INSERT INTO redundancy_parked (id, tx_id, epoch, origin, table_name, op, row_key, row_image, created_at, error)"
                                + " SELECT id, tx_id, epoch, origin, table_name, op, row_key, row_image, created_at, ?"
                                + " FROM redundancy_journal WHERE id = ? ON CONFLICT (id) DO NOTHING")) {
                    ps.setString(1, parkedErrors.get(i));
                    ps.setLong(2, parkedIds.get(i)[0]);
                    ps.executeUpdate();
                }
            }
            int deleted;
            try (PreparedStatement ps = src.prepareStatement("DELETE FROM redundancy_journal WHERE id = ANY (?)")) {
                ps.setArray(1, src.createArrayOf("bigint", box(ids)));
                deleted = ps.executeUpdate();
            }
            if (deleted != ids.length) {
                // the other direction resolved a conflict on some of these entries meanwhile: start over
                LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] Mirror " + source.id() + " -> " + target.id()
                        + ": " + (ids.length - deleted) + " entries of the batch were resolved by the other direction; retrying");
                dst.rollback();
                src.rollback();
                return Outcome.MORE;
            }
            dst.commit();
            src.commit();
        } catch (SQLException e) {
            rollbackQuietly(src);
            rollbackQuietly(dst);
            fail(isConnectionError(e) && !isSourceGone(src) ? "target " + target.id() : "relay " + source.id(), e);
            return Outcome.FAILED;
        }
        long now = System.currentTimeMillis();
        runtime.recordApplied(source, ids.length, createdMs, now, conflicts, parkedIds.size());
        for (int i = 0; i < parkedIds.size(); i++) {
            LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] Mirror entry " + parkedIds.get(i)[0] + " from "
                    + source.id() + " was rejected by " + target.id() + " and parked in redundancy_parked: "
                    + parkedErrors.get(i));
        }
        if (conflicts > 0) {
            LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] " + conflicts + " mirror conflict(s) resolved while"
                    + " applying " + source.id() + " to " + target.id() + " (later epoch wins; losing images kept in"
                    + " redundancy_conflict)");
        }
        targetDownCleared();
        lastBatch = ids.length;
        finished(cycle, complete, ids[ids.length - 1]);
        return complete ? Outcome.IDLE : Outcome.MORE;
    }

    /**
     * The oldest entries, at most {@link #BATCH} of them and {@link #BATCH_BYTES} of images (an entry's size is
     * counted by its text when it is stored larger than 2 kB, since a compressed image says little about its JSON),
     * with the current rows of each collection entry's owner (op C: see {@code redundancy_collection_image}).
     * Columns: ids, entries as JSON, any insert, created_at in ms, entries seen (before the byte limit).
     */
    static final String READ_BATCH = "SELECT array_agg(j.id ORDER BY j.id),"
            + " jsonb_agg(CASE WHEN j.op = 'C' THEN j.e || jsonb_build_object('row_image',"
            + " redundancy_collection_image(j.table_name, j.row_key)) ELSE j.e END ORDER BY j.id)::text,"
            + " coalesce(bool_or(j.op = 'I'), false), array_agg(j.ms ORDER BY j.id), max(j.seen)"
            + " FROM (SELECT l.id, l.op, l.table_name, l.row_key, to_jsonb(l) AS e,"
            + " (extract(epoch FROM l.created_at) * 1000)::bigint AS ms,"
            + " sum(CASE WHEN pg_column_size(l.row_image) > 2048 THEN octet_length(l.row_image::text) ELSE 2048 END)"
            + " OVER (ORDER BY l.id) AS bytes, row_number() OVER (ORDER BY l.id) AS rn, count(*) OVER () AS seen"
            + " FROM (SELECT * FROM redundancy_journal ORDER BY id LIMIT ?) l) j"
            + " WHERE j.rn = 1 OR j.bytes <= ?";

    /**
     * Takes {@link #PAIR_LOCK_KEY} in the current transaction of {@code onPrimary}, waiting up to 2 s for the other
     * direction's batch; false when it did not come (the caller rolls back and tries again shortly).
     */
    private static boolean lockPair(Connection onPrimary) throws SQLException {
        try (PreparedStatement ps = onPrimary.prepareStatement(
                "SELECT set_config('lock_timeout', '2s', true), pg_advisory_xact_lock(?)")) {
            ps.setLong(1, PAIR_LOCK_KEY);
            ps.executeQuery().close();
            return true;
        } catch (SQLException e) {
            if (!"55P03".equals(e.getSQLState())) {
                throw e;
            }
            return false;
        }
    }

    /** Moves the target's sequences past the source's (a batch with inserts skipped it to save round trips). */
    private void alignSequences(Connection src) throws SQLException {
        String positions;
        try (Statement st = src.createStatement();
             ResultSet rs = st.executeQuery("SELECT redundancy_sequence_positions()::text")) {
            rs.next();
            positions = rs.getString(1);
        }
        try (Connection dst = runtime.host().dataSource(target).getConnection();
             PreparedStatement ps = dst.prepareStatement("SELECT redundancy_align_sequences(?::jsonb)")) {
            dst.setAutoCommit(true);
            ps.setString(1, positions);
            ps.executeQuery().close();
            alignPending = false;
            lastAlign = System.currentTimeMillis();
        } catch (SQLException e) {
            // target down: tried again on the next cycle
        }
    }

    private List<String[]> apply(Connection dst, String batch, boolean safe) throws SQLException {
        List<String[]> out = new ArrayList<>();
        if (dst != dedicated) { // the relay's own connection keeps these for its session
            try (Statement st = dst.createStatement()) {
                st.execute("SET LOCAL lock_timeout = '2s'; SET LOCAL statement_timeout = '30s'; SET LOCAL redundancy.applying = 'on';"
                        + " SET LOCAL plan_cache_mode = force_generic_plan"
                        + (Boolean.TRUE.equals(replica) ? "; SET LOCAL session_replication_role = replica" : ""));
            }
        }
        try (PreparedStatement ps = dst.prepareStatement("SELECT entry_id, outcome FROM redundancy_apply_batch(?::jsonb, ?)")) {
            ps.setString(1, batch);
            ps.setBoolean(2, safe);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new String[]{Long.toString(rs.getLong(1)), rs.getString(2)});
                }
            }
        }
        return out;
    }

    /**
     * Finds out (on {@code dst}, before its transaction begins) whether the relay may set
     * {@code session_replication_role}; asked again every {@value #REPLICA_RECHECK_MS} ms, so a GRANT takes effect.
     */
    private void checkReplica(Connection dst) throws SQLException {
        long now = System.currentTimeMillis();
        if (replica != null && now - replicaCheckedAt < REPLICA_RECHECK_MS) {
            return;
        }
        replicaCheckedAt = now;
        Boolean before = replica;
        replica = replicaAllowed(dst);
        if (replica && dst == dedicated) {
            try (Statement st = dst.createStatement()) {
                st.execute("SET session_replication_role = replica");
            }
        }
        if (!replica && !Boolean.FALSE.equals(before)) {
            LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] Mirror " + source.id() + " -> " + target.id()
                    + ": the relay's user may not set session_replication_role on " + target.id() + ", so the triggers"
                    + " of " + target.id() + " fire when changes are applied (a trigger that fills a column overwrites"
                    + " the origin's value) -> GRANT SET ON PARAMETER session_replication_role TO the user (PostgreSQL"
                    + " 15+), or skip mirrored changes in the trigger: IF current_setting('redundancy.applying', true)"
                    + " = 'on' THEN RETURN NEW; END IF;");
        }
    }

    /** True when the user of {@code c} may set {@code session_replication_role} (superuser, or SET granted). */
    static boolean replicaAllowed(Connection c) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(true);
        try (Statement st = c.createStatement()) {
            st.execute("SET session_replication_role = replica");
            st.execute("SET session_replication_role = DEFAULT");
            return true;
        } catch (SQLException e) {
            if (isConnectionError(e)) {
                throw e;
            }
            return false;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    /** Whether the relay applies as a replica (null until it first connected to the target). */
    Boolean appliesAsReplica() {
        return replica;
    }

    private void targetDownCleared() {
        sourceDown = false;
        if (targetDown) {
            targetDown = false;
            LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] Mirror " + source.id() + " -> " + target.id()
                    + " resumed: " + target.id() + " is reachable again, draining the journal");
        }
        lastError = null;
    }

    private void fail(String where, Exception e) {
        if (where.startsWith("target") && e instanceof SQLException se && isConnectionError(se)) {
            closeDedicated(); // opened again (or the pool used) on a later cycle
        }
        if (where.startsWith("source") && e instanceof SQLException se && isConnectionError(se)) {
            sourceDown = true;
        }
        String msg = where + ": " + io.dbredundancy.hibernate.DatabaseUrl.mask(String.valueOf(e.getMessage()));
        boolean down = e instanceof SQLException se && isConnectionError(se);
        if (down && !targetDown && where.startsWith("target")) {
            targetDown = true;
            LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] Mirror " + source.id() + " -> " + target.id()
                    + " paused: " + msg + "; changes stay in the journal of " + source.id() + " until it returns");
        } else if (!down && !msg.equals(lastError)) {
            LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] Mirror " + source.id() + " -> " + target.id()
                    + " failed, will retry: " + msg);
        }
        lastError = msg;
        synchronized (progress) {
            progress.notifyAll();
        }
    }

    private static boolean isSourceGone(Connection src) {
        try {
            return !src.isValid(1);
        } catch (SQLException e) {
            return true;
        }
    }

    static boolean isConnectionError(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s) {
                String state = s.getSQLState();
                if (state != null && (state.startsWith("08") || state.startsWith("57P"))) {
                    return true;
                }
                if (s instanceof java.sql.SQLTransientConnectionException
                        || s instanceof java.sql.SQLNonTransientConnectionException) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean isTransient(String state) {
        return state.startsWith("40") || state.startsWith("53") || state.equals("55P03") || state.equals("57014")
                || state.startsWith("08") || state.startsWith("57P");
    }

    /**
     * Deletes the source's commit-outcome records older than {@link #OUTCOME_RETENTION}, at most every
     * {@link #PRUNE_INTERVAL_MS} (each database's relay prunes its own; the delete is not journaled).
     */
    private void pruneOutcomeRecords() {
        long now = System.currentTimeMillis();
        if (now - lastPrune < PRUNE_INTERVAL_MS) {
            return;
        }
        lastPrune = now;
        try (Connection c = runtime.host().dataSource(source).getConnection()) {
            c.setAutoCommit(true);
            int n = io.dbredundancy.hibernate.outcome.OutcomeResolver.prune(c, OUTCOME_RETENTION);
            if (n > 0) {
                LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] Deleted " + n + " commit-outcome record(s) older"
                        + " than " + OUTCOME_RETENTION.toHours() + " h on " + source.id());
            }
        } catch (SQLException e) {
            lastPrune = now - PRUNE_INTERVAL_MS + RETRY_MS * 20; // unreachable: try again in about 10 s
        }
    }

    /** Refreshes the pending/lag/parked/conflict counts of this relay's journal at most once a second. */
    void refreshCounts(boolean force) {
        long now = System.currentTimeMillis();
        if (!force && now - lastCountsRefresh < 1_000) {
            return;
        }
        lastCountsRefresh = now;
        try (Connection c = runtime.host().dataSource(source).getConnection();
             Statement st = queryTimeout(c.createStatement());
             ResultSet rs = st.executeQuery("SELECT count(*), coalesce((extract(epoch FROM clock_timestamp() - min(created_at)) * 1000)::bigint, 0),"
                     + " (SELECT count(*) FROM redundancy_parked), (SELECT count(*) FROM redundancy_conflict),"
                     + " EXISTS (SELECT 1 FROM redundancy_dirty_table)"
                     + " FROM redundancy_journal")) {
            rs.next();
            runtime.recordCounts(source, rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4));
            marked = rs.getBoolean(5);
        } catch (SQLException | RuntimeException e) {
            runtime.recordCountsUnknown(source);
        }
    }

    private static Statement queryTimeout(Statement st) throws SQLException {
        st.setQueryTimeout(2);
        return st;
    }

    private static void rollbackQuietly(Connection c) {
        try {
            if (!c.isClosed() && !c.getAutoCommit()) {
                c.rollback();
            }
        } catch (SQLException ignored) {
            // the connection is broken; the pool discards it
        }
    }

    private static long[] longs(Object[] a) {
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = ((Number) a[i]).longValue();
        }
        return out;
    }

    private static Long[] box(long[] a) {
        Long[] out = new Long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }
}
