package io.dbredundancy.hibernate.sync;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.SyncException;
import io.dbredundancy.hibernate.SyncResult;
import io.dbredundancy.hibernate.status.StatusContributor;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The scheduled safety net: every {@code hibernate.redundancy.sync.interval_ms} an incremental sync from the active
 * database to the standby catches writes that bypassed Hibernate; tables marked in {@code redundancy_dirty_table}
 * (bulk statements) get a checksum compare and repair. Runs on the unit's scheduler; its last run is in the status
 * ({@link #lastSync()}, {@link #syncStatus()}).
 */
public final class SafetyNetSync implements AutoCloseable, StatusContributor {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.sync");

    /** The mirror's table of tables touched by bulk statements (column {@code table_name}). */
    static final String DIRTY_TABLE = "redundancy_dirty_table";

    public enum Status {
        IDLE, RUNNING, FAILED;

        /** {@code idle}, {@code running}, {@code failed}: the status JSON's words. */
        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final SyncService sync;
    private final Supplier<Node> activeNode;
    private final long intervalMs;
    private final SyncOptions options;
    private final Clock clock;
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile Instant lastSync;
    private volatile Status status = Status.IDLE;
    private volatile String lastError;
    private volatile SyncResult lastResult;
    private ScheduledFuture<?> task;
    private volatile boolean closed;

    /**
     * @param activeNode the node serving now (the source of each run); a run is skipped when it returns null
     * @param intervalMs the period; 0 turns the safety net off
     */
    public SafetyNetSync(SyncService sync, Supplier<Node> activeNode, long intervalMs, SyncOptions options, Clock clock) {
        this.sync = Objects.requireNonNull(sync, "sync");
        this.activeNode = Objects.requireNonNull(activeNode, "activeNode");
        if (intervalMs < 0) {
            throw new IllegalArgumentException("hibernate.redundancy.sync.interval_ms must be 0 (off) or more, but was "
                    + intervalMs);
        }
        this.intervalMs = intervalMs;
        this.options = Objects.requireNonNull(options, "options");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** With a lookback of 5 s: rows of transactions that committed late are caught by the next run. */
    public SafetyNetSync(SyncService sync, Supplier<Node> activeNode, long intervalMs) {
        this(sync, activeNode, intervalMs, SyncOptions.defaults().withLookback(java.time.Duration.ofSeconds(5)),
                Clock.systemUTC());
    }

    /** Schedules the runs on {@code scheduler} (the unit's); does nothing when the interval is 0. */
    public synchronized void start(ScheduledExecutorService scheduler) {
        if (intervalMs == 0 || task != null) {
            return;
        }
        task = scheduler.scheduleWithFixedDelay(this::runSafely, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
        LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] Safety-net incremental sync every " + intervalMs + " ms");
    }

    /**
     * Schedules the runs with a one-shot scheduler (the unit's health thread: {@code (task, delayMs) -> …}) and runs
     * each on {@code worker} (the unit's worker threads), so the health thread is never held by a sync. Does nothing
     * when the interval is 0.
     */
    public synchronized void start(java.util.function.BiConsumer<Runnable, Long> scheduleOnce,
                                   java.util.concurrent.Executor worker) {
        if (intervalMs == 0 || task != null) {
            return;
        }
        Runnable[] tick = new Runnable[1];
        tick[0] = () -> worker.execute(() -> {
            runSafely();
            if (!closed) {
                scheduleOnce.accept(tick[0], intervalMs);
            }
        });
        scheduleOnce.accept(tick[0], intervalMs);
        LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] Safety-net incremental sync every " + intervalMs + " ms");
    }

    public boolean enabled() {
        return intervalMs > 0;
    }

    private void runSafely() {
        try {
            runOnce();
        } catch (RuntimeException e) {
            // already recorded; the scheduler must keep going
        }
    }

    /**
     * One run now, on the caller's thread: incremental sync active → standby, then verify+repair of the tables bulk
     * statements marked. Returns null when skipped (another run in progress, or no active node).
     *
     * @throws SyncException when the run fails (also recorded as {@code failed})
     */
    public SyncResult runOnce() {
        Node active = activeNode.get();
        if (active == null || !running.compareAndSet(false, true)) {
            return null;
        }
        Node target = active.other();
        status = Status.RUNNING;
        try {
            SyncResult result = sync.incrementalSync(target, options);
            SyncResult repaired = repairMarked(sync, active, options);
            if (repaired != null) {
                result = new SyncResult("incremental", target, result.rows() + repaired.rows(), repaired.deleted(),
                        result.tables(), List.of(), result.elapsed().plus(repaired.elapsed()));
            }
            lastResult = result;
            lastSync = clock.instant();
            lastError = null;
            status = Status.IDLE;
            if (result.rows() > 0 || result.deleted() > 0) {
                LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] Sync completed: " + result.rows()
                        + " records updated on the " + target.id() + " database");
            }
            return result;
        } catch (Exception e) {
            lastSync = clock.instant();
            lastError = e.getMessage();
            status = Status.FAILED;
            LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] Safety-net sync to the " + target.id()
                    + " database failed: " + e.getMessage());
            throw e instanceof RuntimeException re ? re : new SyncException(e.getMessage(), e);
        } finally {
            running.set(false);
        }
    }

    /** A table marked by a bulk statement, and whether every transaction older than the mark has ended. */
    private record Mark(String table, java.sql.Timestamp markedAt, boolean settled) {
    }

    /**
     * Repairs the tables of {@code source}'s {@code redundancy_dirty_table} on the other database, and removes the
     * marks it handled for good. The mark is written when the bulk statement is prepared, before its transaction
     * commits, so a mark is removed only when no transaction that began before it is still running (checked before
     * the repair reads): then the statement's transaction has ended and the repair saw its outcome. Other marks
     * stay, and the next run repairs their tables again. Null when nothing is marked.
     */
    public static SyncResult repairMarked(SyncService sync, Node source, SyncOptions options) {
        List<Mark> marks = marks(sync, source);
        if (marks.isEmpty()) {
            return null;
        }
        List<String> tables = new ArrayList<>();
        marks.forEach(m -> tables.add(m.table()));
        SyncResult repaired = sync.repair(source.other(), options.withTables(tables));
        clearDirty(sync, source, marks);
        return repaired;
    }

    private static List<Mark> marks(SyncService sync, Node source) {
        List<Mark> out = new ArrayList<>();
        try (Connection c = sync.endpoint(source).open()) {
            if (!SyncState.exists(c, DIRTY_TABLE)) {
                return out;
            }
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("select d.table_name, d.marked_at, not exists (select 1 from pg_stat_activity a"
                         + " where a.xact_start <= d.marked_at and a.pid <> pg_backend_pid()"
                         + " and a.datname = current_database()) from " + DIRTY_TABLE + " d")) {
                while (rs.next()) {
                    out.add(new Mark(rs.getString(1), rs.getTimestamp(2), rs.getBoolean(3)));
                }
            }
        } catch (SQLException e) {
            throw new SyncException("Reading " + DIRTY_TABLE + " on the " + source.id() + " database failed: "
                    + SyncService.oneLine(e.getMessage()), e);
        }
        return out;
    }

    /** Removes the settled marks; a table marked again since the run read its mark keeps it. */
    private static void clearDirty(SyncService sync, Node source, List<Mark> marks) {
        try (Connection c = sync.endpoint(source).open();
             PreparedStatement ps = c.prepareStatement("delete from " + DIRTY_TABLE
                     + " where table_name = ? and marked_at <= ?")) {
            for (Mark m : marks) {
                if (m.settled()) {
                    ps.setString(1, m.table());
                    ps.setTimestamp(2, m.markedAt());
                    ps.addBatch();
                }
            }
            ps.executeBatch();
        } catch (SQLException e) {
            LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] Could not clear " + DIRTY_TABLE + ": "
                    + SyncService.oneLine(e.getMessage()));
        }
    }

    /** When the last run ended (successfully or not); null before the first: the status JSON's {@code lastSync}. */
    @Override
    public Instant lastSync() {
        return lastSync;
    }

    /** {@code idle}, {@code running} or {@code failed}: the status JSON's {@code syncStatus}. */
    @Override
    public String syncStatus() {
        return status.id();
    }

    public Status status() {
        return status;
    }

    /** The last failure's one-line message, or null. */
    public String lastError() {
        return lastError;
    }

    public SyncResult lastResult() {
        return lastResult;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (task != null) {
            task.cancel(false);
            task = null;
        }
    }
}
