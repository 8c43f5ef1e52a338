package io.dbredundancy.hibernate.sync;

import io.dbredundancy.hibernate.SyncException;
import io.dbredundancy.hibernate.VerifyResult;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Compares tables of the two databases chunk by chunk: per chunk of about {@code chunkRows} primary-key values, the
 * row count and an order-independent 64-bit checksum (XOR of {@code hash_record_extended} of each row on PostgreSQL
 * 14+, else of the row text's md5). Tables with one integer key are chunked by key arithmetic and each worker's
 * share is one grouped scan per database; other keys are chunked at every {@code chunkRows}-th key of the primary.
 * The two databases are queried at the same time. When few chunks differ, verify reads their rows' keys and hashes
 * to name the keys that differ.
 */
final class ChunkComparer {

    record Result(List<VerifyResult.Difference> differences, long rows) {
    }

    /** One query, run on both databases, returning (chunk index, count, checksum) rows. */
    private record Segment(TableInfo table, String sql, ChunkBounds bounds, String hash) {
    }

    /** The key range of chunk {@code k} of a table: {@code (lo, hi]}, null = open. */
    private interface ChunkBounds {
        List<String> lo(long k);

        List<String> hi(long k);
    }

    private static final java.util.Set<String> INTEGER_TYPES = java.util.Set.of("bigint", "integer", "smallint");

    private final Endpoint primary;
    private final Endpoint secondary;

    ChunkComparer(Endpoint primary, Endpoint secondary) {
        this.primary = primary;
        this.secondary = secondary;
    }

    Result compare(List<TableInfo> tables, SyncOptions options, String phase) throws SQLException {
        return compare(tables, options, phase, false);
    }

    /**
     * Compares {@code tables}; with {@code nameKeys}, and when at most {@value #MAX_CHUNKS_NAMED} chunks differ, each
     * differing chunk's keys are looked up too ({@link VerifyResult.Difference#keys()}).
     */
    Result compare(List<TableInfo> tables, SyncOptions options, String phase, boolean nameKeys) throws SQLException {
        return compare(tables, options, phase, nameKeys, false);
    }

    /**
     * Compares only the primary keys of {@code tables} (which must have one): which keys each database holds, read
     * from the key index where its visibility map allows. Chunks of {@value #KEY_CHUNK} keys for one integer key,
     * else of {@code chunkRows}.
     */
    Result compareKeys(List<TableInfo> tables, SyncOptions options, String phase) throws SQLException {
        return compare(tables, options, phase, false, true);
    }

    /** Keys per chunk of a key comparison (one integer key): the differing chunks are read again key by key. */
    static final int KEY_CHUNK = 100;

    private Result compare(List<TableInfo> tables, SyncOptions options, String phase, boolean nameKeys, boolean keysOnly)
            throws SQLException {
        List<Segment> segments = new ArrayList<>();
        long estimate = 0;
        try (Connection p = SyncService.open(primary); Connection s = SyncService.open(secondary)) {
            boolean hashRecord = versionNum(p) >= 140000 && versionNum(s) >= 140000;
            for (TableInfo t : tables) {
                long rows = rowEstimate(p, t);
                estimate += rows;
                boolean integerKey = t.primaryKey.size() == 1 && INTEGER_TYPES.contains(t.typeOf(t.primaryKey.get(0)));
                String hash;
                if (keysOnly && integerKey) {
                    hash = "hashint8extended(x." + Sql.ident(t.primaryKey.get(0)) + "::bigint, 0)";
                } else if (hashRecord && (keysOnly || hashable(p, t))) {
                    hash = "hash_record_extended(x, 0)";
                } else {
                    hash = "('x' || substr(md5(x::text), 1, 16))::bit(64)::bigint";
                }
                String columns = keysOnly ? Sql.idents(t.primaryKey) : t.columnList();
                SyncOptions o = keysOnly && integerKey ? options.withChunkRows(KEY_CHUNK) : options;
                segments.addAll(plan(p, s, t, rows, hash, columns, o));
            }
        }
        options.progress().begin(phase + " (" + tables.size() + " tables)", estimate);
        int workers = Math.max(1, Math.min(options.parallelism(), segments.size()));
        ExecutorService pool = Executors.newFixedThreadPool(workers * 2, SyncService.daemon("db-redundancy-verify-"));
        AtomicInteger next = new AtomicInteger();
        List<Future<List<Object[]>>> futures = new ArrayList<>();
        try {
            for (int w = 0; w < workers; w++) {
                futures.add(pool.submit(() -> work(segments, next, pool, options)));
            }
            List<Object[]> all = new ArrayList<>();
            for (Future<List<Object[]>> f : futures) {
                all.addAll(f.get());
            }
            // report in table order, then key order
            all.sort((a, b) -> {
                int c = Integer.compare(segments.indexOf((Segment) a[0]), segments.indexOf((Segment) b[0]));
                return c != 0 ? c : Long.compare((Long) a[1], (Long) b[1]);
            });
            List<Object[]> differing = new ArrayList<>();
            long rows = 0;
            for (Object[] r : all) {
                rows += (Long) r[2];
                if (!(Boolean) r[4]) {
                    differing.add(r);
                }
            }
            List<VerifyResult.Difference> diffs = new ArrayList<>();
            boolean drill = nameKeys && differing.size() <= MAX_CHUNKS_NAMED;
            List<Future<List<List<String>>>> keys = new ArrayList<>();
            if (drill) {
                for (Object[] r : differing) {
                    Segment seg = (Segment) r[0];
                    long k = (Long) r[1];
                    keys.add(seg.table().hasPrimaryKey() ? pool.submit(() -> differingKeys(seg, k)) : null);
                }
            }
            for (int i = 0; i < differing.size(); i++) {
                Object[] r = differing.get(i);
                Segment seg = (Segment) r[0];
                long k = (Long) r[1];
                Future<List<List<String>>> f = drill ? keys.get(i) : null;
                diffs.add(new VerifyResult.Difference(seg.table().id(), seg.bounds().lo(k), seg.bounds().hi(k),
                        (Long) r[2], (Long) r[3], f == null ? null : f.get()));
            }
            return new Result(diffs, rows);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof SQLException se) {
                throw se;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new SyncException("Checksum comparison failed: " + c, c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SyncException("Checksum comparison interrupted", e);
        } finally {
            pool.shutdownNow();
        }
    }

    /** A worker: one connection to each database; both run a segment's query at the same time. */
    private List<Object[]> work(List<Segment> segments, AtomicInteger next, ExecutorService pool, SyncOptions options)
            throws Exception {
        List<Object[]> out = new ArrayList<>();
        try (Connection p = SyncService.open(primary); Connection s = SyncService.open(secondary)) {
            session(p, true);
            session(s, true);
            try {
                compareSegments(segments, next, pool, options, p, s, out);
            } finally {
                // the connections may be an application's pooled ones
                session(p, false);
                session(s, false);
            }
        }
        return out;
    }

    private static void compareSegments(List<Segment> segments, AtomicInteger next, ExecutorService pool,
                                        SyncOptions options, Connection p, Connection s, List<Object[]> out)
            throws Exception {
        int i;
        while ((i = next.getAndIncrement()) < segments.size()) {
            Segment seg = segments.get(i);
            Future<Map<Long, String[]>> theirs = pool.submit(() -> run(s, seg.sql()));
            Map<Long, String[]> mine = run(p, seg.sql());
            Map<Long, String[]> other = theirs.get();
            TreeSet<Long> ks = new TreeSet<>(mine.keySet());
            ks.addAll(other.keySet());
            long n = 0;
            for (long k : ks) {
                String[] a = mine.getOrDefault(k, new String[]{"0", null});
                String[] b = other.getOrDefault(k, new String[]{"0", null});
                long np = Long.parseLong(a[0]);
                long ns = Long.parseLong(b[0]);
                n += np;
                out.add(new Object[]{seg, k, np, ns, np == ns && Objects.equals(a[1], b[1])});
            }
            options.progress().advance(n);
        }
    }

    /**
     * The workers are the parallelism (each runs on both databases at once): no parallel workers of the server's own
     * on top, and no JIT compilation of every short statement.
     */
    private static void session(Connection c, boolean set) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(set ? "set max_parallel_workers_per_gather = 0" : "reset max_parallel_workers_per_gather");
            st.execute(set ? "set jit = off" : "reset jit");
        }
    }

    private static Map<Long, String[]> run(Connection c, String sql) throws SQLException {
        Map<Long, String[]> out = new HashMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                long count = rs.getLong(2);
                if (count > 0) {
                    out.put(rs.getLong(1), new String[]{Long.toString(count), rs.getString(3)});
                }
            }
        }
        return out;
    }

    /** Differing chunks whose keys are looked up; beyond, only the chunks are named. */
    static final int MAX_CHUNKS_NAMED = 32;
    /** Keys named per chunk at most. */
    static final int MAX_KEYS_NAMED = 100;

    /**
     * The keys of chunk {@code k} whose rows differ: on one database only, or with another hash; in key order, at most
     * {@value #MAX_KEYS_NAMED}. Reads the chunk's keys and row hashes from both databases at once.
     */
    private List<List<String>> differingKeys(Segment seg, long k) throws Exception {
        TableInfo t = seg.table();
        String sql = "select " + t.keyAsText("x") + ", " + seg.hash() + " from (select " + t.columnList() + " from "
                + t.sqlName() + " where " + t.rangeCondition(null, seg.bounds().lo(k), seg.bounds().hi(k)) + ") x";
        ExecutorService both = Executors.newSingleThreadExecutor(SyncService.daemon("db-redundancy-verify-keys-"));
        try (Connection p = SyncService.open(primary); Connection s = SyncService.open(secondary)) {
            Future<Map<List<String>, String>> theirs = both.submit(() -> rowHashes(s, sql, t));
            Map<List<String>, String> mine = rowHashes(p, sql, t);
            Map<List<String>, String> other = theirs.get();
            List<List<String>> out = new ArrayList<>();
            java.util.Set<List<String>> all = new java.util.LinkedHashSet<>(mine.keySet());
            all.addAll(other.keySet());
            for (List<String> key : all) {
                if (!Objects.equals(mine.get(key), other.get(key))) {
                    out.add(key);
                }
            }
            out.sort(ChunkComparer::compareKeys);
            return out.size() > MAX_KEYS_NAMED ? List.copyOf(out.subList(0, MAX_KEYS_NAMED)) : out;
        } finally {
            both.shutdownNow();
        }
    }

    private static Map<List<String>, String> rowHashes(Connection c, String sql, TableInfo t) throws SQLException {
        Map<List<String>, String> out = new HashMap<>();
        int n = t.primaryKey.size();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                List<String> key = new ArrayList<>(n);
                for (int i = 1; i <= n; i++) {
                    key.add(rs.getString(i));
                }
                out.put(key, rs.getString(n + 1));
            }
        }
        return out;
    }

    /** Numbers as numbers, other values as text: the order a reader expects for integer keys. */
    private static int compareKeys(List<String> a, List<String> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            String x = a.get(i);
            String y = b.get(i);
            int c;
            if (x == null || y == null) {
                c = x == null ? (y == null ? 0 : -1) : 1;
            } else if (x.matches("-?\\d{1,18}") && y.matches("-?\\d{1,18}")) {
                c = Long.compare(Long.parseLong(x), Long.parseLong(y));
            } else {
                c = x.compareTo(y);
            }
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    }

    private static List<Segment> plan(Connection p, Connection s, TableInfo t, long rows, String hash, String columns,
                                      SyncOptions options) throws SQLException {
        String agg = "count(*), bit_xor(" + hash + ")::text";
        String from = "(select " + columns + " from " + t.sqlName();
        if (!t.hasPrimaryKey()) {
            return List.of(new Segment(t, "select 0, " + agg + " from " + from + ") x", whole(), hash));
        }
        long chunks = Math.max(1, (rows + options.chunkRows() - 1) / options.chunkRows());
        if (t.primaryKey.size() == 1 && INTEGER_TYPES.contains(t.typeOf(t.primaryKey.get(0)))) {
            String key = Sql.ident(t.primaryKey.get(0));
            long[] a = minMax(p, t, key);
            long[] b = minMax(s, t, key);
            if (a == null && b == null) {
                return List.of(new Segment(t, "select 0, " + agg + " from " + from + ") x", whole(), hash));
            }
            long min = a == null ? b[0] : b == null ? a[0] : Math.min(a[0], b[0]);
            long max = a == null ? b[1] : b == null ? a[1] : Math.max(a[1], b[1]);
            long width = Math.max(1, (max - min) / chunks + 1);
            long last = (max - min) / width;
            ChunkBounds bounds = new ChunkBounds() {
                @Override
                public List<String> lo(long k) {
                    return k <= 0 ? null : List.of(Long.toString(min + k * width - 1));
                }

                @Override
                public List<String> hi(long k) {
                    return k >= last ? null : List.of(Long.toString(min + (k + 1) * width - 1));
                }
            };
            long groups = Math.min(last + 1, Math.max(1, options.parallelism() * 2L));
            long per = (last + 1 + groups - 1) / groups;
            List<Segment> out = new ArrayList<>();
            for (long k0 = 0; k0 <= last; k0 += per) {
                long k1 = Math.min(last, k0 + per - 1);
                List<String> where = new ArrayList<>();
                if (k0 > 0) {
                    where.add(key + " >= " + (min + k0 * width));
                }
                if (k1 < last) {
                    where.add(key + " < " + (min + (k1 + 1) * width));
                }
                // the chunk number and the row's hash first (offset 0 keeps that apart), then a hash aggregate of
                // those two numbers: grouped directly, the planner sorts the whole rows by an expression it cannot
                // estimate
                String sql = "select k, count(*), bit_xor(h)::text from (select least(greatest((x." + key + " - (" + min
                        + "))::bigint / " + width + ", 0), " + last + ") as k, " + hash + " as h from " + from
                        + (where.isEmpty() ? "" : " where " + String.join(" and ", where)) + ") x offset 0) s group by 1";
                out.add(new Segment(t, sql, bounds, hash));
            }
            return out;
        }
        List<List<String>> keys = boundaries(p, t, options.chunkRows());
        List<Segment> out = new ArrayList<>();
        List<String> lo = null;
        for (int i = 0; i <= keys.size(); i++) {
            List<String> hi = i < keys.size() ? keys.get(i) : null;
            List<String> l = lo;
            ChunkBounds b = new ChunkBounds() {
                @Override
                public List<String> lo(long k) {
                    return l;
                }

                @Override
                public List<String> hi(long k) {
                    return hi;
                }
            };
            out.add(new Segment(t, "select 0, " + agg + " from " + from + " where " + t.rangeCondition(null, l, hi)
                    + ") x", b, hash));
            lo = hi;
        }
        return out;
    }

    private static ChunkBounds whole() {
        return new ChunkBounds() {
            @Override
            public List<String> lo(long k) {
                return null;
            }

            @Override
            public List<String> hi(long k) {
                return null;
            }
        };
    }

    private static long[] minMax(Connection c, TableInfo t, String key) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select min(" + key + "), max(" + key + ") from " + t.sqlName())) {
            rs.next();
            long min = rs.getLong(1);
            return rs.wasNull() ? null : new long[]{min, rs.getLong(2)};
        }
    }

    /** Every {@code chunkRows}-th primary key of {@code t} (as text), in key order. */
    private static List<List<String>> boundaries(Connection c, TableInfo t, int chunkRows) throws SQLException {
        String keys = Sql.idents(t.primaryKey);
        String sql = "select " + t.keyAsText(null) + " from (select " + keys + ", row_number() over (order by " + keys
                + ") as rn from " + t.sqlName() + ") k where rn % " + chunkRows + " = 0 order by rn";
        List<List<String>> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                List<String> k = new ArrayList<>();
                for (int i = 1; i <= t.primaryKey.size(); i++) {
                    k.add(rs.getString(i));
                }
                out.add(k);
            }
        }
        return out;
    }

    private static long rowEstimate(Connection c, TableInfo t) throws SQLException {
        if (t.estimatedRows > 0) {
            return (long) t.estimatedRows;
        }
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select count(*) from " + t.sqlName())) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static int versionNum(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("show server_version_num")) {
            rs.next();
            return Integer.parseInt(rs.getString(1));
        }
    }

    /** Whether every column type has an extended hash function (json, point, xml… have none). */
    private static boolean hashable(Connection c, TableInfo t) {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select hash_record_extended(x, 0) from"
                + " (select " + t.columnList() + " from (select (null::" + t.sqlName() + ").*) n) x")) {
            rs.next();
            return true;
        } catch (SQLException e) {
            return false;
        }
    }
}
