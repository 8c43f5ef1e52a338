package io.dbredundancy.hibernate.sync;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.NodeConfig;
import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.SyncException;
import io.dbredundancy.hibernate.SyncResult;
import io.dbredundancy.hibernate.VerifyResult;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;
import org.postgresql.copy.CopyOut;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Copies, catches up, compares and repairs the data of the two databases of a unit, over plain JDBC:
 * <ul>
 *   <li>{@link #fullSync}: binary {@code COPY} of every table, several at once in foreign-key order, then the
 *   sequences; the target's tables are emptied first; resumable table by table;</li>
 *   <li>{@link #incrementalSync}: for tables with change tracking ({@link #trackChanges}) the
 *   rows of the keys the source's change log recorded since the last run's snapshot, copied or deleted in one target
 *   transaction (compared in full when the log cannot prove it holds every change); for the others, rows whose
 *   {@code updated_at} passed the watermark kept on the target, upserted in batches, and the rows deleted on the source
 *   deleted (found by comparing the keys); tables without such a column are compared by checksums and their
 *   differing chunks repaired;</li>
 *   <li>{@link #verify}: checksums of primary-key chunks on both databases at once;</li>
 *   <li>{@link #repair}: rewrites on the target only the chunks that differ;</li>
 *   <li>{@link #alignSequences}: moves the target's sequences and identity columns past the source's.</li>
 * </ul>
 * The library's own tables ({@code redundancy_*}, Liquibase's) are never touched. What a call rewrites on the target it
 * rewrites holding the mirror relay's lock ({@link RelayLock}), so it never races the relay. Thread-safe; each call
 * opens and closes its own connections.
 */
public final class SyncService {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.sync");

    /**
     * Test hook: a pause (ms) before the commit of every table of a full sync but the first, so a test can kill the
     * process while a table is half-written.
     */
    static final String TABLE_DELAY_PROPERTY = "io.dbredundancy.sync.tableDelayMs";

    /**
     * Test hook: a pause (ms) in every repaired chunk between the read of the source's rows and the write of the
     * target's, so a test can have the relay apply in between.
     */
    static final String REPAIR_DELAY_PROPERTY = "io.dbredundancy.sync.repairDelayMs";

    private final Endpoint primary;
    private final Endpoint secondary;

    public SyncService(Endpoint primary, Endpoint secondary) {
        this.primary = Objects.requireNonNull(primary, "primary");
        this.secondary = Objects.requireNonNull(secondary, "secondary");
        if (primary.node() != Node.PRIMARY || secondary.node() != Node.SECONDARY) {
            throw new IllegalArgumentException("endpoints must be the primary and the secondary, in that order");
        }
    }

    /** Over the app's DataSources (e.g. the per-node pools). */
    public SyncService(DataSource primary, DataSource secondary) {
        this(Endpoint.of(Node.PRIMARY, primary), Endpoint.of(Node.SECONDARY, secondary));
    }

    /** Over plain driver connections to the two configured URLs. */
    public SyncService(NodeConfig primary, NodeConfig secondary) {
        this(Endpoint.of(primary), Endpoint.of(secondary));
    }

    /** Over the URLs of a unit's configuration; fails with one line when no secondary is configured. */
    public static SyncService of(RedundancyConfig config) {
        NodeConfig secondary = config.secondary().orElseThrow(() -> new SyncException(
                "No secondary database is configured (hibernate.redundancy.secondary.url or DATABASE_URL_SECONDARY)"));
        return new SyncService(config.primary(), secondary);
    }

    public Endpoint endpoint(Node node) {
        return node == Node.PRIMARY ? primary : secondary;
    }

    // ------------------------------------------------------------------------------------------------ full sync

    /**
     * Copies every table (or {@code options.tables()}) from the other database into {@code target}, replacing the
     * target's rows, then sets the target's sequences to the source's values. An interrupted run is resumed: tables
     * it finished are skipped, the one it was copying is copied again.
     */
    public SyncResult fullSync(Node target, SyncOptions options) {
        Endpoint src = endpoint(target.other());
        Endpoint tgt = endpoint(target);
        long start = System.nanoTime();
        SyncProgress progress = options.progress();
        try (Connection sc = open(src); Connection tc = open(tgt); RelayLock.Held relay = RelayLock.hold(sc, src.node())) {
            Map<String, TableInfo> tables = tablesToSync(sc, tc, options, target);
            boolean replica = replicaRoleAllowed(tc);
            Set<String> standalone = standalone(tc, tables);

            Map<String, SyncState.Row> state = SyncState.read(tc, SyncState.FULL);
            SyncState.Row run = state.get(SyncState.RUN);
            List<String> ids = new ArrayList<>(tables.keySet());
            boolean resume = run != null && "running".equals(run.status()) && src.node().id().equals(run.source())
                    && run.watermarkKey() != null && new HashSet<>(run.watermarkKey()).equals(new HashSet<>(ids));
            Set<String> done = new HashSet<>();
            if (resume) {
                state.forEach((k, v) -> {
                    if (!k.equals(SyncState.RUN) && "done".equals(v.status())) {
                        done.add(k);
                    }
                });
                progress.message("resuming an interrupted full sync: " + done.size() + " of " + ids.size()
                        + " tables already copied");
            } else {
                startFullRun(tc, tables, standalone, src.node().id());
            }

            long total = 0;
            for (TableInfo t : tables.values()) {
                if (!done.contains(t.id())) {
                    total += Math.max(0, (long) estimateRows(sc, t));
                }
            }
            progress.begin("full sync " + src.node().id() + " -> " + target.id() + " (" + (ids.size() - done.size())
                    + " tables" + (replica ? "" : ", foreign-key order") + ")", total);
            long rows = copyTables(src, tgt, sc, tables, done, resume, replica, standalone, options);
            alignSequences(sc, tc, sequenceFilter(tables, options), true, progress);
            SyncState.put(tc, SyncState.FULL, SyncState.RUN, src.node().id(), "done", rows, null, ids);
            SyncResult result = new SyncResult("full", target, rows, 0, ids, List.copyOf(done), elapsed(start));
            progress.end(result.toString());
            LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] " + result);
            return result;
        } catch (SQLException e) {
            throw failure("Full sync to the " + target.id() + " database failed", e);
        }
    }

    /**
     * The tables of {@code tables} that no foreign key references and that reference none of the others: each is
     * emptied by a TRUNCATE in its own copy's transaction, which lets the copy load it frozen ({@code COPY … FREEZE}:
     * no hint bits to set and no vacuum to freeze it later) and, under {@code wal_level = minimal}, without WAL.
     */
    private static Set<String> standalone(Connection tc, Map<String, TableInfo> tables) throws SQLException {
        Set<String> referenced = new HashSet<>();
        try (Statement st = tc.createStatement(); ResultSet rs = st.executeQuery("select n.nspname || '.' || c.relname"
                + " from pg_constraint k join pg_class c on c.oid = k.confrelid join pg_namespace n on n.oid = c.relnamespace"
                + " where k.contype = 'f'")) {
            while (rs.next()) {
                referenced.add(rs.getString(1));
            }
        }
        Set<String> out = new HashSet<>();
        for (TableInfo t : tables.values()) {
            if (!referenced.contains(t.id()) && t.references.stream().noneMatch(tables::containsKey)) {
                out.add(t.id());
            }
        }
        return out;
    }

    private void startFullRun(Connection tc, Map<String, TableInfo> tables, Set<String> standalone, String source)
            throws SQLException {
        boolean auto = tc.getAutoCommit();
        tc.setAutoCommit(false);
        try {
            SyncState.clear(tc, SyncState.FULL);
            List<String> ids = new ArrayList<>(tables.keySet());
            SyncState.put(tc, SyncState.FULL, SyncState.RUN, source, "running", 0, null, ids);
            for (String id : ids) {
                SyncState.put(tc, SyncState.FULL, id, source, "pending", 0, null, null);
            }
            StringBuilder names = new StringBuilder();
            for (TableInfo t : tables.values()) {
                if (!standalone.contains(t.id())) {
                    names.append(names.length() == 0 ? "" : ", ").append(t.sqlName());
                }
            }
            if (names.length() > 0) {
                try (Statement s = tc.createStatement()) {
                    s.execute("truncate table " + names);
                }
            }
            tc.commit();
        } catch (SQLException e) {
            tc.rollback();
            if ("0A000".equals(e.getSQLState())) {
                throw new SyncException("Cannot empty the target tables: " + oneLine(e.getMessage())
                        + "; include the referencing tables in --tables or sync all tables", e);
            }
            throw e;
        } finally {
            tc.setAutoCommit(auto);
        }
    }

    private long copyTables(Endpoint src, Endpoint tgt, Connection sc, Map<String, TableInfo> tables, Set<String> done,
                            boolean resume, boolean replica, Set<String> standalone, SyncOptions options)
            throws SQLException {
        // one snapshot for every table, so foreign keys hold in the copy
        String snapshot = null;
        sc.setAutoCommit(false);
        try (Statement s = sc.createStatement()) {
            s.execute("set transaction isolation level repeatable read, read only");
            try (ResultSet rs = s.executeQuery("select pg_export_snapshot()")) {
                rs.next();
                snapshot = rs.getString(1);
            }
        } catch (SQLException e) {
            sc.rollback();
            LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] no exported snapshot: " + e.getMessage());
        }
        long delay = Long.getLong(TABLE_DELAY_PROPERTY, 0L);
        Set<String> finished = new HashSet<>(done);
        List<TableInfo> waiting = new ArrayList<>();
        for (TableInfo t : tables.values()) {
            if (!done.contains(t.id())) {
                waiting.add(t);
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(options.parallelism(), daemon("db-redundancy-sync-"));
        CompletionService<long[]> cs = new ExecutorCompletionService<>(pool);
        Map<Future<long[]>, TableInfo> running = new HashMap<>();
        Map<String, long[]> parts = new HashMap<>();          // table -> {parts left, rows, 1 if split}
        Map<String, String> maxUpdated = new java.util.concurrent.ConcurrentHashMap<>();
        long rows = 0;
        String snap = snapshot;
        try {
            while (!waiting.isEmpty() || !running.isEmpty()) {
                for (var it = waiting.iterator(); it.hasNext() && running.size() < options.parallelism(); ) {
                    TableInfo t = it.next();
                    boolean ready = replica || t.references.stream()
                            .allMatch(r -> finished.contains(r) || !tables.containsKey(r));
                    if (!ready) {
                        continue;
                    }
                    it.remove();
                    // a table no foreign key points at is copied whole, without any index (rebuilt after): less work
                    // than several streams maintaining its primary key; a referenced one keeps its key, so it is split
                    boolean referenced = tables.values().stream().anyMatch(o -> o.references.contains(t.id()));
                    List<String> ranges = referenced ? splitRanges(sc, t, options.parallelism()) : List.of();
                    if (ranges.size() <= 1) {
                        long pause = finished.size() > done.size() ? delay : 0;
                        parts.put(t.id(), new long[]{1, 0, 0});
                        boolean truncate = standalone.contains(t.id());
                        running.put(cs.submit(() -> copyTable(src, tgt, t, snap, null, true, resume || truncate, truncate,
                                replica, options, pause, maxUpdated)), t);
                    } else {
                        // a big table: several COPY streams over key ranges, in parallel
                        if (resume) {
                            emptyTable(tgt, t, replica);
                        }
                        parts.put(t.id(), new long[]{ranges.size(), 0, 1});
                        for (int i = 0; i < ranges.size(); i++) {
                            String range = ranges.get(i);
                            boolean first = i == 0;
                            running.put(cs.submit(() -> copyTable(src, tgt, t, snap, range, first, false, false, replica,
                                    options, 0, maxUpdated)), t);
                        }
                    }
                }
                Future<long[]> f = cs.take();
                TableInfo t = running.remove(f);
                long n;
                try {
                    n = f.get()[0];
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof SQLException se) {
                        throw failure("Copying table " + t.id() + " failed", se);
                    }
                    if (c instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new SyncException("Copying table " + t.id() + " failed: " + c, c);
                }
                rows += n;
                long[] p = parts.get(t.id());
                p[0]--;
                p[1] += n;
                if (p[0] == 0) {
                    if (p[2] == 1) {
                        markDone(src, tgt, t, p[1], maxUpdated.get(t.id()), options);
                    }
                    finished.add(t.id());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SyncException("Full sync interrupted", e);
        } finally {
            pool.shutdownNow();
            if (snapshot != null) {
                sc.rollback();
            }
            sc.setAutoCommit(true);
        }
        return rows;
    }

    /**
     * Minimum estimated rows before a table that foreign keys reference is copied as several key ranges at once
     * (system property for tests).
     */
    static final String SPLIT_ROWS_PROPERTY = "io.dbredundancy.sync.splitRows";

    /** Key-range conditions that split a big table with one integer key into about {@code n} parts; else one. */
    private static List<String> splitRanges(Connection sc, TableInfo t, int n) throws SQLException {
        if (n < 2 || t.estimatedRows < Long.getLong(SPLIT_ROWS_PROPERTY, 200_000L) || t.primaryKey.size() != 1
                || !List.of("bigint", "integer", "smallint").contains(t.typeOf(t.primaryKey.get(0)))) {
            return List.of();
        }
        String key = Sql.ident(t.primaryKey.get(0));
        long min;
        long max;
        try (Statement st = sc.createStatement();
             ResultSet rs = st.executeQuery("select min(" + key + "), max(" + key + ") from " + t.sqlName())) {
            rs.next();
            min = rs.getLong(1);
            if (rs.wasNull()) {
                return List.of();
            }
            max = rs.getLong(2);
        }
        long width = (max - min) / n + 1;
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long lo = min + i * width;
            List<String> c = new ArrayList<>();
            if (i > 0) {
                c.add(key + " >= " + lo);
            }
            if (i < n - 1) {
                c.add(key + " < " + (lo + width));
            }
            out.add(String.join(" and ", c));
        }
        return out;
    }

    private static void emptyTable(Endpoint tgt, TableInfo t, boolean replica) throws SQLException {
        try (Connection c = open(tgt)) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                targetSession(st, replica);
                st.execute("delete from " + t.sqlName());
            }
            c.commit();
        }
    }

    /** Records a table copied in several parts as done, once every part has committed. */
    private static void markDone(Endpoint src, Endpoint tgt, TableInfo t, long rows, String maxUpdated,
                                 SyncOptions options) throws SQLException {
        try (Connection c = open(tgt)) {
            c.setAutoCommit(false);
            SyncState.put(c, SyncState.FULL, t.id(), src.node().id(), "done", rows, null, null);
            if (t.updatedAt != null && t.hasPrimaryKey()) {
                SyncState.put(c, SyncState.INCREMENTAL, t.id(), src.node().id(), "idle", rows, maxUpdated, null);
            }
            c.commit();
        }
        options.progress().message(t.id() + ": " + rows + " rows copied");
    }

    /**
     * Copies table {@code t}, or the part of it {@code range} selects, in one target transaction. A whole table has
     * its secondary indexes rebuilt after the copy and records its completion in the same transaction; the parts of a
     * split table only copy ({@link #markDone} follows the last one).
     */
    private long[] copyTable(Endpoint src, Endpoint tgt, TableInfo t, String snapshot, String range, boolean first,
                             boolean empty, boolean truncate, boolean replica, SyncOptions options, long delay,
                             Map<String, String> maxUpdated) throws SQLException, InterruptedException {
        boolean whole = range == null;
        try (Connection s = open(src); Connection c = open(tgt)) {
            s.setAutoCommit(false);
            try (Statement st = s.createStatement()) {
                st.execute("set transaction isolation level repeatable read, read only");
                if (snapshot != null) {
                    st.execute("set transaction snapshot " + Sql.literal(snapshot));
                }
            }
            if (first && t.updatedAt != null) {
                String max = queryString(s, "select max(" + Sql.ident(t.updatedAt) + ")::text from " + t.sqlName());
                if (max != null) {
                    maxUpdated.put(t.id(), max);
                }
            }
            c.setAutoCommit(false);
            boolean freeze = false;
            List<String> indexes = new ArrayList<>();
            List<String> constraints = new ArrayList<>();
            try (Statement st = c.createStatement()) {
                targetSession(st, replica);
                st.execute("set local synchronous_commit = off");
                if (whole && truncate) {
                    st.execute("truncate " + t.sqlName());
                    try (ResultSet rs = st.executeQuery("select relkind = 'r' from pg_class where oid = "
                            + Sql.literal(t.sqlName()) + "::regclass")) {
                        freeze = rs.next() && rs.getBoolean(1);
                    }
                } else if (whole && empty) {
                    st.execute("delete from " + t.sqlName());
                }
                if (whole) {
                    // secondary indexes are rebuilt once after the copy (a sort) instead of row by row; in this
                    // transaction, so an interruption rolls the drop back
                    try (ResultSet rs = st.executeQuery("select pg_get_indexdef(i.indexrelid), i.indexrelid::regclass::text"
                            + " from pg_index i where i.indrelid = " + Sql.literal(t.sqlName()) + "::regclass and i.indisvalid"
                            + " and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)")) {
                        while (rs.next()) {
                            indexes.add(rs.getString(1));
                            indexes.add(rs.getString(2));
                        }
                    }
                    for (int i = 1; i < indexes.size(); i += 2) {
                        st.execute("drop index " + indexes.get(i));
                    }
                    // primary key and unique constraints no foreign key references: rebuilt after the copy as well
                    try (ResultSet rs = st.executeQuery("select k.conname, pg_get_constraintdef(k.oid) from pg_constraint k"
                            + " where k.conrelid = " + Sql.literal(t.sqlName()) + "::regclass and k.contype in ('p', 'u')"
                            + " and not exists (select 1 from pg_constraint f where f.contype = 'f'"
                            + " and f.confrelid = k.conrelid)")) {
                        while (rs.next()) {
                            constraints.add(rs.getString(1));
                            constraints.add(rs.getString(2));
                        }
                    }
                    for (int i = 0; i < constraints.size(); i += 2) {
                        st.execute("alter table " + t.sqlName() + " drop constraint " + Sql.ident(constraints.get(i)));
                    }
                    if (!indexes.isEmpty() || !constraints.isEmpty()) {
                        st.execute("set local maintenance_work_mem = '256MB'");
                    }
                }
            }
            String cols = t.columnList();
            String out = whole ? "copy " + t.sqlName() + " (" + cols + ") to stdout (format binary)"
                    : "copy (select " + cols + " from " + t.sqlName() + " where " + range + ") to stdout (format binary)";
            long rows = CopyPipe.run(s, out, c, "copy " + t.sqlName() + " (" + cols + ") from stdin (format binary"
                    + (freeze ? ", freeze" : "") + ")", options.progress()::advance);
            try (Statement st = c.createStatement()) {
                for (int i = 0; i < constraints.size(); i += 2) {
                    st.execute("alter table " + t.sqlName() + " add constraint " + Sql.ident(constraints.get(i)) + " "
                            + constraints.get(i + 1));
                }
                for (int i = 0; i < indexes.size(); i += 2) {
                    st.execute(indexes.get(i));
                }
            }
            if (whole) {
                SyncState.put(c, SyncState.FULL, t.id(), src.node().id(), "done", rows, null, null);
                if (t.updatedAt != null && t.hasPrimaryKey()) {
                    SyncState.put(c, SyncState.INCREMENTAL, t.id(), src.node().id(), "idle", rows,
                            maxUpdated.get(t.id()), null);
                }
                if (t.hasPrimaryKey() && ChangeTracking.available(s)) {
                    // the copy is the source as of this snapshot: a tracked table is caught up from here
                    String snap = ChangeTracking.snapshot(s);
                    if (ChangeTracking.trackedBefore(s, t, snap)) {
                        SyncState.put(c, ChangeTracking.TASK, t.id(), src.node().id(), "idle", rows, snap, null);
                    }
                }
                if (delay > 0) {
                    Thread.sleep(delay);
                }
            }
            c.commit();
            s.commit();
            if (whole) {
                options.progress().message(t.id() + ": " + rows + " rows copied");
            }
            return new long[]{rows};
        }
    }

    // ------------------------------------------------------------------------------------------------ incremental

    /**
     * Brings {@code target} up to date with the other database: tracked tables from the source's change log
     * (see {@code ChangeTracking}); for the other tables with an {@code updated_at} column, the rows
     * changed since the watermark kept on the target are upserted in batches of {@code options.batchSize()}, the
     * watermark moving with each committed batch, then the target's rows whose keys the source no longer has are
     * deleted (the keys are compared in small chunks by server-side hashes); other tables with a primary key are
     * compared by checksums and their differing chunks repaired.
     */
    public SyncResult incrementalSync(Node target, SyncOptions options) {
        Endpoint src = endpoint(target.other());
        Endpoint tgt = endpoint(target);
        long start = System.nanoTime();
        SyncProgress progress = options.progress();
        try (Connection sc = open(src); Connection tc = open(tgt); RelayLock.Held relay = RelayLock.hold(sc, src.node())) {
            Map<String, TableInfo> tables = tablesToSync(sc, tc, options, target);
            boolean replica = replicaRoleAllowed(tc);
            Map<String, SyncState.Row> state = SyncState.read(tc, SyncState.INCREMENTAL);
            progress.begin("incremental sync " + src.node().id() + " -> " + target.id(), -1);
            long rows = 0;
            long deleted = 0;
            List<TableInfo> byChecksum = new ArrayList<>();
            List<TableInfo> byWatermark = new ArrayList<>();
            List<TableInfo> untracked = new ArrayList<>(tables.values());
            if (ChangeTracking.available(sc)) {
                long[] r = trackedCatchUp(sc, tc, untracked, src.node().id(), replica, options);
                rows += r[0];
                deleted += r[1];
            }
            for (TableInfo t : untracked) {
                if (t.updatedAt != null && t.hasPrimaryKey()) {
                    rows += catchUp(sc, tc, t, state.get(t.id()), src.node().id(), replica, options);
                    byWatermark.add(t);
                } else {
                    byChecksum.add(t);
                }
            }
            if (!byWatermark.isEmpty()) {
                deleted += deleteRemoved(target, sc, tc, byWatermark, replica, options);
            }
            if (!byChecksum.isEmpty()) {
                long[] r = repairTables(target, sc, tc, byChecksum, replica, options);
                rows += r[0];
                deleted += r[1];
            }
            SyncResult result = new SyncResult("incremental", target, rows, deleted, new ArrayList<>(tables.keySet()),
                    List.of(), elapsed(start));
            progress.end(result.toString());
            LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] " + result);
            return result;
        } catch (SQLException e) {
            throw failure("Incremental sync to the " + target.id() + " database failed", e);
        }
    }

    /**
     * The incremental run of the tables whose changes the source's change log ({@link ChangeTracking}) holds: removes
     * them from {@code tables} and returns {rows written, rows deleted}. In one snapshot of the source: the keys the
     * transactions the last run's snapshot did not see changed are read; on the target, in one transaction, the
     * source's rows of those keys are upserted and the keys the source no longer has deleted, and the new snapshot is
     * recorded; then the source's log is pruned. A tracked table whose log cannot prove it holds every change (see
     * {@link ChangeTracking#unprovable}) is compared in full by checksums and repaired, which starts its tracking from
     * the snapshot taken before the comparison; the output says so.
     */
    private long[] trackedCatchUp(Connection sc, Connection tc, List<TableInfo> tables, String source, boolean replica,
                                  SyncOptions options) throws SQLException {
        Map<String, SyncState.Row> state = SyncState.read(tc, ChangeTracking.TASK);
        List<TableInfo> caughtUp = new ArrayList<>();
        List<TableInfo> compare = new ArrayList<>();
        List<TableInfo> baseline = new ArrayList<>();      // compared in full, then caught up from the log
        long written = 0;
        long deleted = 0;
        String snapshot;
        sc.setAutoCommit(false);
        try {
            try (Statement st = sc.createStatement()) {
                st.execute("set transaction isolation level repeatable read, read only");
                st.execute("set local jit = off");
                st.execute("set local enable_seqscan = off");   // few keys, read by their indexes
            }
            snapshot = ChangeTracking.snapshot(sc);
            for (TableInfo t : tables) {
                if (!t.hasPrimaryKey() || !ChangeTracking.installed(sc, t)) {
                    continue;
                }
                String why = ChangeTracking.unprovable(sc, t, state.get(t.id()), source);
                if (why == null) {
                    caughtUp.add(t);
                } else {
                    compare.add(t);
                    if (ChangeTracking.trackedBefore(sc, t, snapshot)) {
                        baseline.add(t);
                    }
                    options.progress().message(t.id() + ": change tracking cannot prove completeness (" + why
                            + "): comparing in full");
                }
            }
            if (!caughtUp.isEmpty()) {
                tc.setAutoCommit(false);
                try (Statement st = tc.createStatement()) {
                    targetSession(st, replica);
                    st.execute("set local jit = off");
                    // the few changed keys are looked up by their index, whatever the planner guesses of the temp tables
                    st.execute("set local enable_seqscan = off");
                    // a crash before the flush loses the rows and the new snapshot together: the next run redoes both
                    st.execute("set local synchronous_commit = off");
                    Map<String, Repairer> repairers = new HashMap<>();
                    long[] perTable = new long[caughtUp.size()];
                    for (int i = 0; i < caughtUp.size(); i++) {
                        // parents first: rows a new child row references are written before it
                        TableInfo t = caughtUp.get(i);
                        // one pass over the changed keys: the source's row of each, or the key alone marked gone
                        String temp = Sql.ident("redundancy_tracked_" + Integer.toHexString(t.id().hashCode()));
                        st.execute("create temp table if not exists " + temp + " on commit delete rows as select "
                                + t.columnList() + ", false as " + ChangeTracking.GONE + " from " + t.sqlName()
                                + " with no data");
                        CopyPipe.direct(sc, "copy (" + ChangeTracking.changedRows(t, state.get(t.id()).watermark())
                                + ") to stdout (format binary)", tc, "copy " + temp + " (" + t.columnList() + ", "
                                + ChangeTracking.GONE + ") from stdin (format binary)");
                        Repairer rep = new Repairer(t, replica, temp, " where not " + ChangeTracking.GONE);
                        repairers.put(t.id(), rep);
                        written += rep.upsert(tc);
                    }
                    for (int i = caughtUp.size() - 1; i >= 0; i--) {
                        // children first: a row is deleted after the rows that referenced it
                        TableInfo t = caughtUp.get(i);
                        Repairer rep = repairers.get(t.id());
                        int n = st.executeUpdate("delete from " + t.sqlName() + " d where " + ChangeTracking.keyIn(t, "d",
                                Sql.idents(t.primaryKey) + " from " + rep.temp + " where " + ChangeTracking.GONE));
                        try (ResultSet rs = st.executeQuery("select count(*) from " + rep.temp + " where not "
                                + ChangeTracking.GONE)) {
                            rs.next();
                            perTable[i] = rs.getLong(1);
                        }
                        deleted += n;
                        SyncState.put(tc, ChangeTracking.TASK, t.id(), source, "idle", perTable[i], snapshot, null);
                        options.progress().message(t.id() + ": " + perTable[i] + " changed rows copied, " + n
                                + " deleted (change tracking)");
                    }
                    tc.commit();
                } catch (SQLException | RuntimeException e) {
                    tc.rollback();
                    throw e;
                } finally {
                    tc.setAutoCommit(true);
                }
            }
        } finally {
            sc.rollback();
            sc.setAutoCommit(true);
        }
        for (TableInfo t : caughtUp) {
            ChangeTracking.prune(sc, t, snapshot);
        }
        if (!compare.isEmpty()) {
            long[] r = repairTables(target(source), sc, tc, compare, replica, options);
            written += r[0];
            deleted += r[1];
            for (TableInfo t : baseline) {
                SyncState.put(tc, ChangeTracking.TASK, t.id(), source, "idle", 0, snapshot, null);
            }
        }
        tables.removeAll(caughtUp);
        tables.removeAll(compare);
        return new long[]{written, deleted};
    }

    private static Node target(String source) {
        return Node.PRIMARY.id().equals(source) ? Node.SECONDARY : Node.PRIMARY;
    }

    /**
     * Installs change tracking ({@link ChangeTracking}) on the tables of {@code source} (all, or those {@code options}
     * names) that have a primary key: statement-level triggers that record the keys every statement changes, so the
     * incremental sync into the other database reads only those. The first incremental run after it compares the
     * tables in full once. Needs the library's changelog ({@code redundancy migrate}). Returns the tables newly tracked.
     */
    public List<String> trackChanges(Node source, SyncOptions options) {
        try (Connection c = open(endpoint(source))) {
            List<String> installed = ChangeTracking.install(c, Catalog.select(Catalog.load(c), options.tables()).values(),
                    source.id() + " database " + endpoint(source).display());
            for (String t : installed) {
                options.progress().message(t + ": change tracking installed on the " + source.id() + " database");
            }
            return installed;
        } catch (SQLException e) {
            throw failure("Installing change tracking on the " + source.id() + " database failed", e);
        }
    }

    /**
     * Key ranges deleted together (one key read of the source and one delete of the target per group): joined as a list
     * for one integer key, else as conditions or'ed together (which the planner handles well only when few).
     */
    private static final int DELETE_RANGES = 5_000;
    private static final int DELETE_CONDITIONS = 20;

    /**
     * Deletes the target's rows of {@code tables} that the source no longer has: the two databases' keys are compared
     * in small chunks (server-side hashes of the keys), and in the chunks that differ the target's keys missing from
     * the source's are deleted, referencing tables first. Returns the rows deleted.
     */
    private long deleteRemoved(Node target, Connection sc, Connection tc, List<TableInfo> tables, boolean replica,
                               SyncOptions options) throws SQLException {
        ChunkComparer.Result cmp = new ChunkComparer(primary, secondary).compareKeys(tables, options,
                "keys " + target.other().id() + " -> " + target.id());
        Map<String, List<VerifyResult.Difference>> byTable = new HashMap<>();
        for (VerifyResult.Difference d : cmp.differences()) {
            byTable.computeIfAbsent(d.table(), k -> new ArrayList<>()).add(d);
        }
        long deleted = 0;
        for (int i = tables.size() - 1; i >= 0; i--) {
            TableInfo t = tables.get(i);
            List<VerifyResult.Difference> diffs = byTable.getOrDefault(t.id(), List.of());
            String keys = Sql.idents(t.primaryKey);
            String temp = Sql.ident("redundancy_keys_" + Integer.toHexString(t.id().hashCode()));
            boolean integer = t.primaryKey.size() == 1
                    && List.of("bigint", "integer", "smallint").contains(t.typeOf(t.primaryKey.get(0)));
            int per = integer ? DELETE_RANGES : DELETE_CONDITIONS;
            for (int from = 0; from < diffs.size(); from += per) {
                List<VerifyResult.Difference> group = diffs.subList(from, Math.min(diffs.size(), from + per));
                String onSource;
                String onTarget;
                if (integer) {
                    // the ranges as a relation: one index range scan each
                    StringBuilder lo = new StringBuilder();
                    StringBuilder hi = new StringBuilder();
                    for (VerifyResult.Difference d : group) {
                        lo.append(lo.length() == 0 ? "" : ",").append(d.fromExclusive() == null ? Long.MIN_VALUE
                                : Long.parseLong(d.fromExclusive().get(0)) + 1);
                        hi.append(hi.length() == 0 ? "" : ",").append(d.toInclusive() == null ? Long.MAX_VALUE
                                : Long.parseLong(d.toInclusive().get(0)));
                    }
                    String key = Sql.ident(t.primaryKey.get(0));
                    String ranges = "(select unnest('{" + lo + "}'::bigint[]) as lo, unnest('{" + hi + "}'::bigint[]) as hi) r";
                    onSource = "select x." + key + " from " + t.sqlName() + " x join " + ranges + " on x." + key
                            + " >= r.lo and x." + key + " <= r.hi";
                    onTarget = "delete from " + t.sqlName() + " d using " + ranges + " where d." + key + " >= r.lo and d."
                            + key + " <= r.hi";
                } else {
                    StringBuilder src = new StringBuilder();
                    StringBuilder tgt = new StringBuilder();
                    for (VerifyResult.Difference d : group) {
                        src.append(src.length() == 0 ? "(" : " or (")
                                .append(t.rangeCondition(null, d.fromExclusive(), d.toInclusive())).append(')');
                        tgt.append(tgt.length() == 0 ? "(" : " or (")
                                .append(t.rangeCondition("d", d.fromExclusive(), d.toInclusive())).append(')');
                    }
                    onSource = "select " + keys + " from " + t.sqlName() + " where " + src;
                    onTarget = "delete from " + t.sqlName() + " d where (" + tgt + ")";
                }
                tc.setAutoCommit(false);
                try (Statement st = tc.createStatement(); Statement ss = sc.createStatement()) {
                    targetSession(st, replica);
                    // the planner's estimate of the ranges' join is far too high: no JIT compilation for it
                    st.execute("set local jit = off");
                    st.execute("create temp table if not exists " + temp + " on commit delete rows as select " + keys
                            + " from " + t.sqlName() + " with no data");
                    ss.execute("set jit = off");
                    try {
                        CopyPipe.direct(sc, "copy (" + onSource + ") to stdout (format binary)", tc,
                                "copy " + temp + " (" + keys + ") from stdin (format binary)");
                    } finally {
                        ss.execute("reset jit");
                    }
                    st.execute("analyze " + temp);
                    int n = st.executeUpdate(onTarget + " and not exists (select 1 from " + temp + " s where "
                            + t.keyTuple("s") + " = " + t.keyTuple("d") + ")");
                    tc.commit();
                    deleted += n;
                    if (n > 0) {
                        options.progress().message(t.id() + ": " + n + " rows the source no longer has deleted");
                    }
                } catch (SQLException | RuntimeException e) {
                    tc.rollback();
                    throw e;
                } finally {
                    tc.setAutoCommit(true);
                }
            }
        }
        return deleted;
    }

    private long catchUp(Connection sc, Connection tc, TableInfo t, SyncState.Row row, String source, boolean replica,
                         SyncOptions options) throws SQLException {
        String ua = Sql.ident(t.updatedAt);
        String where = "";
        if (row != null && row.watermark() != null) {
            String wm = Sql.typed(row.watermark(), t.typeOf(t.updatedAt));
            if (options.lookback().isZero() && row.watermarkKey() != null
                    && row.watermarkKey().size() == t.primaryKey.size()) {
                // exactly past the last row applied
                where = " where (" + ua + ", " + Sql.idents(t.primaryKey) + ") > (" + wm + ", "
                        + t.keyLiteral(row.watermarkKey()).substring(1);
            } else {
                where = " where " + ua + " >= " + wm + " - interval '" + options.lookback().toMillis() + " milliseconds'";
            }
        }
        String orderDesc = ua + " desc, " + String.join(" desc, ", t.primaryKey.stream().map(Sql::ident).toList()) + " desc";
        String temp = Sql.ident("redundancy_inc_" + Integer.toHexString(t.id().hashCode()));
        Repairer repairer = new Repairer(t, false, temp);
        // each batch is one statement (autocommit): upsert, new watermark, temp emptied; atomic together
        String apply = "with up as (" + repairer.upsertSql() + " returning 1),"
                + " last as (select " + ua + "::text as ts, array[" + t.keyAsText(null) + "] as k from " + temp
                + " order by " + orderDesc + " limit 1),"
                + " gone as (delete from " + temp + " returning 1)"
                + " insert into redundancy_sync_state (task, table_name, source, status, rows_copied, watermark,"
                + " watermark_key, updated_at) select " + Sql.literal(SyncState.INCREMENTAL) + ", " + Sql.literal(t.id())
                + ", " + Sql.literal(source) + ", 'idle', ?, ts, k, now() from last"
                + " on conflict (task, table_name) do update set source = excluded.source, status = excluded.status,"
                + " rows_copied = excluded.rows_copied, watermark = excluded.watermark,"
                + " watermark_key = excluded.watermark_key, updated_at = now()";
        long total = 0;
        try (Statement st = tc.createStatement()) {
            if (replica) {
                st.execute("set session_replication_role = replica");
            }
            st.execute("create temp table if not exists " + temp + " as select " + t.columnList() + " from "
                    + t.sqlName() + " with no data");
            st.execute("truncate " + temp);
        }
        // one ordered read of everything past the watermark, cut into batches on the target side
        CopyOut out = sc.unwrap(PGConnection.class).getCopyAPI().copyOut("copy (select " + t.columnList() + " from "
                + t.sqlName() + where + " order by " + ua + ", " + Sql.idents(t.primaryKey) + ") to stdout (format binary)");
        try (PreparedStatement ps = tc.prepareStatement(apply)) {
            CopyManager target = tc.unwrap(PGConnection.class).getCopyAPI();
            String copyIn = "copy " + temp + " (" + t.columnList() + ") from stdin (format binary)";
            byte[] header = null;
            byte[] msg = out.readFromCopy();
            while (msg != null && !isTrailer(msg)) {
                CopyIn in = target.copyIn(copyIn);
                long n = 0;
                try {
                    if (header == null) {
                        header = java.util.Arrays.copyOf(msg, 19 + ((msg[15] & 0xff) << 24 | (msg[16] & 0xff) << 16
                                | (msg[17] & 0xff) << 8 | (msg[18] & 0xff)));
                    } else {
                        in.writeToCopy(header, 0, header.length);
                    }
                    while (msg != null && !isTrailer(msg) && n < options.batchSize()) {
                        in.writeToCopy(msg, 0, msg.length);
                        n++;
                        msg = out.readFromCopy();
                    }
                    in.endCopy();
                } catch (SQLException | RuntimeException e) {
                    if (in.isActive()) {
                        in.cancelCopy();
                    }
                    throw e;
                }
                total += n;
                ps.setLong(1, total);
                ps.executeUpdate();
                options.progress().advance(n);
            }
            while (msg != null) {
                msg = out.readFromCopy();
            }
        } catch (SQLException | RuntimeException e) {
            if (out.isActive()) {
                out.cancelCopy();
            }
            throw e;
        } finally {
            if (replica) {
                sessionReplicationRole(tc, false);
            }
        }
        if (total > 0) {
            options.progress().message(t.id() + ": " + total + " changed rows upserted");
        }
        return total;
    }

    /** The end of a binary COPY: the trailer alone, or the header and the trailer when there were no rows. */
    private static boolean isTrailer(byte[] msg) {
        int n = msg.length;
        return n >= 2 && msg[n - 2] == (byte) 0xff && msg[n - 1] == (byte) 0xff && (n == 2 || (n >= 21 && msg[0] == 'P'
                && msg[1] == 'G' && msg[2] == 'C' && msg[3] == 'O' && n == 21 + ((msg[15] & 0xff) << 24
                | (msg[16] & 0xff) << 16 | (msg[17] & 0xff) << 8 | (msg[18] & 0xff))));
    }

    private static void sessionReplicationRole(Connection c, boolean replica) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("set session_replication_role = " + (replica ? "replica" : "default"));
        }
    }

    /** The target-side statements that apply source rows: a temp table, then delete/upsert from it. */
    private static final class Repairer {
        final TableInfo t;
        final boolean replica;
        final String temp;
        final String where;
        private boolean created;

        Repairer(TableInfo t, boolean replica) {
            this(t, replica, Sql.ident("redundancy_sync_" + Integer.toHexString(t.id().hashCode())));
        }

        Repairer(TableInfo t, boolean replica, String temp) {
            this(t, replica, temp, "");
        }

        /** {@code where}: a condition on the temp table's rows to write ({@code " where …"}), or "". */
        Repairer(TableInfo t, boolean replica, String temp, String where) {
            this.t = t;
            this.replica = replica;
            this.temp = temp;
            this.where = where;
        }

        /** In the caller's transaction: loads the rows of {@code select} on the source into the temp table. */
        long load(Connection sc, Connection tc, String select) throws SQLException {
            try (Statement st = tc.createStatement()) {
                if (replica) {
                    targetSession(st, true);
                }
                if (!created) {
                    st.execute("create temp table if not exists " + temp + " on commit delete rows as select "
                            + t.columnList() + " from " + t.sqlName() + " with no data");
                    created = true;
                }
            }
            return CopyPipe.direct(sc, "copy (" + select + ") to stdout (format binary)", tc,
                    "copy " + temp + " (" + t.columnList() + ") from stdin (format binary)");
        }

        /** Deletes target rows in {@code range} that the source does not have; returns how many. */
        long deleteMissing(Connection tc, String rangeOnTarget) throws SQLException {
            try (Statement st = tc.createStatement()) {
                return st.executeUpdate("delete from " + t.sqlName() + " d where " + rangeOnTarget
                        + " and not exists (select 1 from " + temp + " s where " + t.keyTuple("s") + " = "
                        + t.keyTuple("d") + ")");
            }
        }

        /** Inserts new rows and updates the rows that differ (identical rows are left alone); returns how many. */
        long upsert(Connection tc) throws SQLException {
            try (Statement st = tc.createStatement()) {
                return st.executeUpdate(upsertSql());
            }
        }

        String upsertSql() {
            List<String> cols = t.columnNames();
            StringBuilder set = new StringBuilder();
            StringBuilder mine = new StringBuilder();
            StringBuilder theirs = new StringBuilder();
            for (String col : cols) {
                if (t.primaryKey.contains(col)) {
                    continue;
                }
                String q = Sql.ident(col);
                set.append(set.length() == 0 ? "" : ", ").append(q).append(" = excluded.").append(q);
                mine.append(mine.length() == 0 ? "" : ", ").append("d.").append(q).append("::text");
                theirs.append(theirs.length() == 0 ? "" : ", ").append("excluded.").append(q).append("::text");
            }
            String sql = "insert into " + t.sqlName() + " as d (" + t.columnList() + ")"
                    + (t.hasIdentityAlways() ? " overriding system value" : "")
                    + " select " + t.columnList() + " from " + temp + where + " on conflict (" + Sql.idents(t.primaryKey) + ") "
                    + (set.length() == 0 ? "do nothing"
                    : "do update set " + set + " where (" + mine + ",'') is distinct from (" + theirs + ",'')");
            return sql;
        }
    }

    // ------------------------------------------------------------------------------------------------ verify / repair

    /** Compares the two databases chunk by chunk; {@link VerifyResult#identical()} only when everything matches. */
    public VerifyResult verify(SyncOptions options) {
        long start = System.nanoTime();
        try (Connection pc = open(primary); Connection sc = open(secondary)) {
            Map<String, TableInfo> all = Catalog.load(pc);
            Map<String, TableInfo> tables = Catalog.select(all, options.tables());
            Map<String, TableInfo> other = Catalog.load(sc);
            List<VerifyResult.Difference> diffs = new ArrayList<>();
            List<TableInfo> present = new ArrayList<>();
            for (TableInfo t : tables.values()) {
                if (other.containsKey(t.id())) {
                    present.add(t);
                } else {
                    diffs.add(new VerifyResult.Difference(t.id(), null, null, 0, -1));
                }
            }
            if (options.tables().isEmpty()) {
                for (String id : other.keySet()) {
                    if (!all.containsKey(id)) {
                        diffs.add(new VerifyResult.Difference(id, null, null, -1, 0));
                    }
                }
            }
            Catalog.requireSameShape(present, other, Node.SECONDARY.id());
            ChunkComparer.Result cmp = new ChunkComparer(primary, secondary)
                    .compare(present, options, "verify primary <-> secondary", true);
            diffs.addAll(cmp.differences());
            VerifyResult result = new VerifyResult(diffs.isEmpty(), diffs, tables.size(), cmp.rows(), elapsed(start));
            for (VerifyResult.Difference d : diffs) {
                options.progress().message("differs: " + d);
            }
            options.progress().end(result.toString());
            return result;
        } catch (SQLException e) {
            throw failure("Verify failed", e);
        }
    }

    /**
     * Makes {@code target} equal to the other database by rewriting only the chunks that differ: per chunk, in one
     * transaction, the target's rows the source lacks are deleted and the source's rows that are new or different
     * are written.
     */
    public SyncResult repair(Node target, SyncOptions options) {
        long start = System.nanoTime();
        try (Connection sc = open(endpoint(target.other())); Connection tc = open(endpoint(target))) {
            Map<String, TableInfo> tables = Catalog.select(Catalog.load(sc), options.tables());
            Catalog.requireSameShape(tables.values(), Catalog.load(tc), target.id());
            boolean replica = replicaRoleAllowed(tc);
            long[] r = repairTables(target, sc, tc, new ArrayList<>(tables.values()), replica, options);
            SyncResult result = new SyncResult("repair", target, r[0], r[1], new ArrayList<>(tables.keySet()),
                    List.of(), elapsed(start));
            options.progress().end(result.toString());
            LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] " + result);
            return result;
        } catch (SQLException e) {
            throw failure("Repair of the " + target.id() + " database failed", e);
        }
    }

    /** Compares {@code tables} (source catalog) and repairs the target's differing chunks; returns {written, deleted}. */
    private long[] repairTables(Node target, Connection sc, Connection tc, List<TableInfo> tables, boolean replica,
                                SyncOptions options) throws SQLException {
        ChunkComparer.Result cmp = new ChunkComparer(primary, secondary).compare(tables, options,
                "compare " + target.other().id() + " -> " + target.id());
        long written = 0;
        long deleted = 0;
        Map<String, TableInfo> byId = new HashMap<>();
        tables.forEach(t -> byId.put(t.id(), t));
        Map<String, Repairer> repairers = new HashMap<>();
        for (VerifyResult.Difference d : cmp.differences()) {
            TableInfo t = byId.get(d.table());
            Repairer rep = repairers.computeIfAbsent(t.id(), k -> new Repairer(t, replica));
            // the relay waits from the read of the source's rows to the commit of the target's
            RelayLock.Held relay = RelayLock.hold(sc, target.other());
            tc.setAutoCommit(false);
            try {
                long w;
                long del;
                if (t.hasPrimaryKey()) {
                    String select = "select " + t.columnList() + " from " + t.sqlName() + " where "
                            + t.rangeCondition(null, d.fromExclusive(), d.toInclusive());
                    rep.load(sc, tc, select);
                    pause(Long.getLong(REPAIR_DELAY_PROPERTY, 0L));
                    del = rep.deleteMissing(tc, t.rangeCondition("d", d.fromExclusive(), d.toInclusive()));
                    w = rep.upsert(tc);
                } else {
                    try (Statement st = tc.createStatement()) {
                        targetSession(st, replica);
                        del = st.executeUpdate("delete from " + t.sqlName());
                    }
                    w = CopyPipe.run(sc, "copy " + t.sqlName() + " (" + t.columnList() + ") to stdout (format binary)",
                            tc, "copy " + t.sqlName() + " (" + t.columnList() + ") from stdin (format binary)", n -> { });
                }
                tc.commit();
                written += w;
                deleted += del;
                options.progress().message("repaired " + d.table() + " keys " + d.range() + ": " + w + " written, "
                        + del + " deleted");
            } catch (SQLException | RuntimeException e) {
                tc.rollback();
                throw e;
            } finally {
                tc.setAutoCommit(true);
                relay.close();
            }
        }
        return new long[]{written, deleted};
    }

    // ------------------------------------------------------------------------------------------------ sequences

    /**
     * Moves every sequence of {@code target} (identity columns included) to at least the source's value and at least
     * the highest value its owning column holds on the target, so ids issued on the target never collide.
     *
     * @return one line per sequence moved
     */
    public List<String> alignSequences(Node target, SyncOptions options) {
        try (Connection sc = open(endpoint(target.other())); Connection tc = open(endpoint(target))) {
            Set<String> filter = options.tables().isEmpty() ? null
                    : sequenceFilter(Catalog.select(Catalog.load(sc), options.tables()), options);
            List<String> moved = alignSequences(sc, tc, filter, false, options.progress());
            options.progress().end(moved.size() + " sequence(s) of the " + target.id() + " database moved");
            return moved;
        } catch (SQLException e) {
            throw failure("Aligning the sequences of the " + target.id() + " database failed", e);
        }
    }

    private static Set<String> sequenceFilter(Map<String, TableInfo> tables, SyncOptions options) {
        return options.tables().isEmpty() ? null : new HashSet<>(tables.keySet());
    }

    private record Seq(String id, Long lastValue, String ownerTable, String ownerColumn) {
    }

    private static final String SEQUENCES = """
            select s.schemaname || '.' || s.sequencename, s.last_value, tn.nspname || '.' || t.relname, a.attname
            from pg_sequences s
            join pg_namespace sn on sn.nspname = s.schemaname
            join pg_class sc on sc.relname = s.sequencename and sc.relnamespace = sn.oid
            left join pg_depend d on d.classid = 'pg_class'::regclass and d.objid = sc.oid
              and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')
            left join pg_class t on t.oid = d.refobjid
            left join pg_namespace tn on tn.oid = t.relnamespace
            left join pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid
            where s.schemaname not in ('pg_catalog', 'information_schema')
              and s.sequencename not like 'redundancy\\_%' and coalesce(t.relname, '') not like 'redundancy\\_%'""";

    private static Map<String, Seq> sequences(Connection c) throws SQLException {
        Map<String, Seq> out = new LinkedHashMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(SEQUENCES)) {
            while (rs.next()) {
                long v = rs.getLong(2);
                out.put(rs.getString(1), new Seq(rs.getString(1), rs.wasNull() ? null : v, rs.getString(3),
                        rs.getString(4)));
            }
        }
        return out;
    }

    private static List<String> alignSequences(Connection sc, Connection tc, Set<String> tableFilter, boolean exact,
                                               SyncProgress progress) throws SQLException {
        Map<String, Seq> source = sequences(sc);
        Map<String, Seq> target = sequences(tc);
        List<String> moved = new ArrayList<>();
        for (Seq s : source.values()) {
            Seq t = target.get(s.id());
            if (t == null) {
                continue;
            }
            if (tableFilter != null && (s.ownerTable() == null || !tableFilter.contains(s.ownerTable()))) {
                continue;
            }
            String[] parts = s.id().split("\\.", 2);
            String seq = Sql.ident(parts[0]) + "." + Sql.ident(parts[1]);
            if (exact) {
                if (Objects.equals(s.lastValue(), t.lastValue())) {
                    continue;
                }
                try (PreparedStatement ps = tc.prepareStatement(s.lastValue() == null
                        ? "select setval(?::regclass, (select start_value from pg_sequences where schemaname = ? and sequencename = ?), false)"
                        : "select setval(?::regclass, ?, true)")) {
                    ps.setString(1, seq);
                    if (s.lastValue() == null) {
                        ps.setString(2, parts[0]);
                        ps.setString(3, parts[1]);
                    } else {
                        ps.setLong(2, s.lastValue());
                    }
                    ps.execute();
                }
                moved.add(s.id() + " = " + (s.lastValue() == null ? "start" : s.lastValue()));
                continue;
            }
            long want = s.lastValue() == null ? Long.MIN_VALUE : s.lastValue();
            if (t.ownerTable() != null && t.ownerColumn() != null) {
                String[] tp = t.ownerTable().split("\\.", 2);
                String max = queryString(tc, "select max(" + Sql.ident(t.ownerColumn()) + ")::text from "
                        + Sql.ident(tp[0]) + "." + Sql.ident(tp[1]));
                if (max != null) {
                    try {
                        want = Math.max(want, Long.parseLong(max));
                    } catch (NumberFormatException ignored) {
                        // not an integer column
                    }
                }
            }
            long current = t.lastValue() == null ? Long.MIN_VALUE : t.lastValue();
            if (want > current) {
                try (PreparedStatement ps = tc.prepareStatement("select setval(?::regclass, ?, true)")) {
                    ps.setString(1, seq);
                    ps.setLong(2, want);
                    ps.execute();
                }
                moved.add(s.id() + ": " + (t.lastValue() == null ? "unused" : t.lastValue()) + " -> " + want);
            }
        }
        for (String m : moved) {
            progress.message("sequence " + m);
        }
        return moved;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    static Connection open(Endpoint e) throws SQLException {
        try {
            Connection c = e.open();
            c.setAutoCommit(true);
            return c;
        } catch (SQLException ex) {
            throw new SQLException("cannot connect to the " + e.node().id() + " database " + e.display() + ": "
                    + oneLine(ex.getMessage()), ex.getSQLState(), ex);
        }
    }

    /** Replica mode turns off foreign-key and user triggers on the target; needs superuser (or the right grant). */
    /**
     * The source tables a run copies (all, or those {@code options} names), checked to have the same shape on the
     * target, whose sync-state table is created if missing.
     */
    private static Map<String, TableInfo> tablesToSync(Connection sc, Connection tc, SyncOptions options, Node target)
            throws SQLException {
        Map<String, TableInfo> tables = Catalog.select(Catalog.load(sc), options.tables());
        Catalog.requireSameShape(tables.values(), Catalog.load(tc), target.id());
        SyncState.ensure(tc);
        return tables;
    }

    private static boolean replicaRoleAllowed(Connection c) {
        try (Statement st = c.createStatement()) {
            st.execute("set session_replication_role = replica");
            st.execute("set session_replication_role = default");
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    private static void targetSession(Statement st, boolean replica) throws SQLException {
        if (replica) {
            st.execute("set local session_replication_role = replica");
        }
    }

    private static double estimateRows(Connection c, TableInfo t) throws SQLException {
        if (t.estimatedRows >= 0) {
            return t.estimatedRows;
        }
        String n = queryString(c, "select count(*) from " + t.sqlName());
        return n == null ? 0 : Double.parseDouble(n);
    }

    private static String queryString(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static void pause(long ms) {
        if (ms > 0) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SyncException("interrupted", e);
            }
        }
    }

    private static Duration elapsed(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        String line = s.strip();
        int nl = line.indexOf('\n');
        return nl < 0 ? line : line.substring(0, nl).strip();
    }

    private static SyncException failure(String what, SQLException e) {
        return new SyncException(what + ": " + oneLine(e.getMessage())
                + (e.getSQLState() == null ? "" : " (SQLState " + e.getSQLState() + ")"), e);
    }

    static java.util.concurrent.ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
