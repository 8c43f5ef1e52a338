package io.dbredundancy.hibernate.sync;

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
 * The two databases are queried at the same time.
 */
final class ChunkComparer {

    record Result(List<VerifyResult.Difference> differences, long rows) {
    }

    /** One query, run on both databases, returning (chunk index, count, checksum) rows. */
    private record Segment(TableInfo table, String sql, ChunkBounds bounds) {
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
        List<Segment> segments = new ArrayList<>();
        long estimate = 0;
        try (Connection p = SyncService.open(primary); Connection s = SyncService.open(secondary)) {
            boolean hashRecord = versionNum(p) >= 140000 && versionNum(s) >= 140000;
            for (TableInfo t : tables) {
                long rows = rowEstimate(p, t);
                estimate += rows;
                String hash = hashRecord && hashable(p, t) ? "hash_record_extended(x, 0)"
                        : "('x' || substr(md5(x::text), 1, 16))::bit(64)::bigint";
                segments.addAll(plan(p, s, t, rows, hash, options));
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
            List<VerifyResult.Difference> diffs = new ArrayList<>();
            long rows = 0;
            for (Object[] r : all) {
                Segment seg = (Segment) r[0];
                long k = (Long) r[1];
                long np = (Long) r[2];
                long ns = (Long) r[3];
                boolean same = (Boolean) r[4];
                rows += np;
                if (!same) {
                    diffs.add(new VerifyResult.Difference(seg.table().id(), seg.bounds().lo(k), seg.bounds().hi(k), np, ns));
                }
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
        return out;
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

    private static List<Segment> plan(Connection p, Connection s, TableInfo t, long rows, String hash,
                                      SyncOptions options) throws SQLException {
        String agg = "count(*), bit_xor(" + hash + ")::text";
        String from = "(select " + t.columnList() + " from " + t.sqlName();
        if (!t.hasPrimaryKey()) {
            return List.of(new Segment(t, "select 0, " + agg + " from " + from + ") x", whole()));
        }
        long chunks = Math.max(1, (rows + options.chunkRows() - 1) / options.chunkRows());
        if (t.primaryKey.size() == 1 && INTEGER_TYPES.contains(t.typeOf(t.primaryKey.get(0)))) {
            String key = Sql.ident(t.primaryKey.get(0));
            long[] a = minMax(p, t, key);
            long[] b = minMax(s, t, key);
            if (a == null && b == null) {
                return List.of(new Segment(t, "select 0, " + agg + " from " + from + ") x", whole()));
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
                String sql = "select least(greatest((x." + key + " - (" + min + "))::bigint / " + width + ", 0), " + last
                        + ") as k, " + agg + " from " + from + (where.isEmpty() ? "" : " where " + String.join(" and ", where))
                        + ") x group by 1";
                out.add(new Segment(t, sql, bounds));
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
                    + ") x", b));
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
