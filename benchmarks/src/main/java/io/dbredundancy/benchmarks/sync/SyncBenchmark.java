package io.dbredundancy.benchmarks.sync;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.SyncResult;
import io.dbredundancy.hibernate.VerifyResult;
import io.dbredundancy.hibernate.sync.Migrations;
import io.dbredundancy.hibernate.sync.SyncOptions;
import io.dbredundancy.hibernate.sync.SyncService;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Sync side by side with the stock tools, on one machine: 1,000,000 rows (about 110 MB) from the primary to an empty
 * secondary with {@code redundancy sync --full} (in-process, and the launcher {@code ./redundancy} as its own process,
 * JVM start included), {@code pg_dump | psql} and {@code psql copy | psql copy}; the same for a schema of five tables
 * with foreign keys and 2,000,000 rows; then incremental syncs of 1 % changed rows (a tenth of them deleted) and
 * verifies of the identical table, in-process and through the launcher. Each figure is the median of the rounds, with
 * the CPU time of the source server, the target server and the client processes. Starts two PostgreSQL servers of the
 * installation given by {@code PG_BIN} (default Debian's 15, whose pg_dump is the same major version), as user nobody
 * when run as root. Run from the repository root:
 *
 * <pre>
 * ./mvnw -q -pl benchmarks -am package -DskipTests
 * java -cp benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar:hibernate-redundancy/target/redundancy-cli.jar \
 *      io.dbredundancy.benchmarks.sync.SyncBenchmark [rows] [rounds] [parts]
 * </pre>
 * {@code parts}: a comma-separated subset of {@code full,schema,incremental,verify} (default: all). Both databases get
 * the library's changelog (as the plugin applies it at start) and the primary's {@code bench_rows} change tracking
 * ({@code redundancy sync --track}) before the incremental runs.
 */
public final class SyncBenchmark {

    private static final String PG_BIN = System.getenv().getOrDefault("PG_BIN", "/usr/lib/postgresql/15/bin");
    private static final String DDL = """
            create table bench_rows (
              id bigint primary key, account_id int not null, name text not null, email text,
              amount numeric(12,2) not null, status text not null, attrs jsonb,
              created_at timestamptz not null, updated_at timestamptz not null);
            create index bench_rows_updated_idx on bench_rows (updated_at)""";

    private SyncBenchmark() {
    }

    /** Five tables with foreign keys, 2,000,000 rows: what a full sync of an application's schema copies. */
    private static final String SCHEMA_DDL = """
            create table s_customers (id bigint primary key, name text not null, email text, created_at timestamptz not null);
            create table s_products (id bigint primary key, sku text not null unique, title text, price numeric(12,2));
            create table s_orders (id bigint primary key, customer_id bigint not null references s_customers (id),
              status text not null, total numeric(12,2), placed_at timestamptz not null);
            create table s_order_lines (order_id bigint not null references s_orders (id), line_no int not null,
              product_id bigint not null references s_products (id), qty int not null, price numeric(12,2),
              primary key (order_id, line_no));
            create table s_events (id bigint primary key, kind text not null, payload jsonb, at timestamptz not null)""";
    private static final List<String> SCHEMA_TABLES = List.of("s_customers", "s_products", "s_orders", "s_order_lines",
            "s_events");

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        List<String> parts = List.of((args.length > 2 ? args[2] : "full,schema,incremental,verify").split(","));
        Path work = Files.createTempDirectory("redundancy-sync-bench");
        work.toFile().setExecutable(true, false);
        work.toFile().setReadable(true, false);
        try (PgServer p = PgServer.start(work.resolve("primary")); PgServer s = PgServer.start(work.resolve("secondary"))) {
            servers = new PgServer[]{p, s};
            System.out.println("PostgreSQL " + p.version() + " (" + PG_BIN + "), " + rows + " rows, " + rounds + " rounds, "
                    + Runtime.getRuntime().availableProcessors() + " cores, load average " + loadAverage());
            for (PgServer server : servers) {
                try (Connection c = server.connect()) {
                    Migrations.apply(c, Migrations.LIBRARY_CHANGELOG, SyncBenchmark.class.getClassLoader());
                }
            }
            p.sql(DDL);
            s.sql(DDL);
            p.sql("insert into bench_rows select g, g % 5000, 'name ' || g, 'user' || g || '@example.com',"
                    + " (g % 100000) / 100.0, case when g % 10 = 0 then 'closed' else 'active' end,"
                    + " jsonb_build_object('k', g % 1000),"
                    + " timestamptz '2026-01-01' + (g || ' seconds')::interval,"
                    + " timestamptz '2026-01-01' + (g || ' seconds')::interval from generate_series(1, " + rows + ") g");
            p.sql("vacuum analyze bench_rows");
            System.out.println("table bench_rows: " + p.query("select pg_size_pretty(pg_relation_size('bench_rows'))")
                    + " heap, " + p.query("select pg_size_pretty(pg_total_relation_size('bench_rows'))") + " with indexes");
            p.sql(SCHEMA_DDL);
            s.sql(SCHEMA_DDL);
            int n = rows * 2;   // 2,000,000 rows over five tables
            p.sql("insert into s_customers select g, 'customer ' || g, 'c' || g || '@example.com',"
                    + " timestamptz '2026-01-01' + (g || ' seconds')::interval from generate_series(1, " + n / 10 + ") g");
            p.sql("insert into s_products select g, 'SKU-' || g, 'product ' || g, (g % 1000) / 10.0"
                    + " from generate_series(1, " + n / 20 + ") g");
            p.sql("insert into s_orders select g, 1 + g % " + n / 10 + ", case when g % 7 = 0 then 'open' else 'done' end,"
                    + " (g % 5000) / 10.0, timestamptz '2026-01-01' + (g || ' seconds')::interval"
                    + " from generate_series(1, " + n / 4 + ") g");
            p.sql("insert into s_order_lines select 1 + g / 2, g % 2, 1 + g % " + n / 20 + ", 1 + g % 5, (g % 300) / 10.0"
                    + " from generate_series(0, " + (n * 2 / 5 - 1) + ") g");
            p.sql("insert into s_events select g, 'k' || g % 9, jsonb_build_object('n', g),"
                    + " timestamptz '2026-01-01' + (g || ' seconds')::interval from generate_series(1, " + n / 5 + ") g");
            p.sql("vacuum analyze");
            long schemaRows = 0;
            for (String t : SCHEMA_TABLES) {
                schemaRows += Long.parseLong(p.query("select count(*) from " + t));
            }
            System.out.println("schema of " + SCHEMA_TABLES.size() + " tables with foreign keys: " + schemaRows + " rows, "
                    + p.query("select pg_size_pretty(sum(pg_total_relation_size(c.oid))) from pg_class c"
                    + " where c.relname like 's\\_%' and c.relkind = 'r'") + " with indexes");

            SyncService sync = SyncService.of(RedundancyConfig.from(Map.of(
                    "hibernate.redundancy.primary.url", p.url(), "hibernate.redundancy.secondary.url", s.url()), Map.of()));
            SyncOptions opts = SyncOptions.defaults().withTables(List.of("bench_rows"));
            SyncOptions schemaOpts = SyncOptions.defaults().withTables(SCHEMA_TABLES);
            String cli = findLauncher();
            String urls = " --primary " + p.url() + " --secondary " + s.url();
            String pgEnv = "PGUSER=postgres ";
            String psqlTarget = pgEnv + PG_BIN + "/psql -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " + s.port + " bench";
            String dump = pgEnv + PG_BIN + "/pg_dump -h 127.0.0.1 -p " + p.port + " --data-only -t bench_rows bench | "
                    + psqlTarget;
            String copy = copyPipe(p, s, "bench_rows");
            String schemaDump = pgEnv + PG_BIN + "/pg_dump -h 127.0.0.1 -p " + p.port + " --data-only "
                    + String.join(" ", SCHEMA_TABLES.stream().map(t -> "-t " + t).toList()) + " bench | " + psqlTarget;
            String schemaCopy = String.join(" && ", SCHEMA_TABLES.stream().map(t -> copyPipe(p, s, t)).toList());

            Results full = new Results();
            Results schema = new Results();
            String truncateSchema = "truncate " + String.join(", ", SCHEMA_TABLES);
            // the sides alternate within each round, the order shifted by one every round
            List<String> order = new ArrayList<>(List.of("cli", "in-process", "pg_dump", "copy"));
            for (int r = 0; r < rounds; r++) {
                for (String side : parts.contains("full") ? order : List.<String>of()) {
                    switch (side) {
                        case "in-process" -> full.timed("redundancy sync --full (in-process)", s, "truncate bench_rows",
                                () -> sync.fullSync(Node.SECONDARY, opts), () -> check(s, "bench_rows", rows));
                        case "cli" -> full.timed("redundancy sync --full (CLI, JVM start included)", s,
                                "truncate bench_rows", () -> shell(cli + " sync --to secondary --full --tables bench_rows"
                                        + " --quiet" + urls), () -> check(s, "bench_rows", rows));
                        case "pg_dump" -> full.timed("pg_dump -t bench_rows | psql", s, "truncate bench_rows",
                                () -> shell(dump), () -> check(s, "bench_rows", rows));
                        default -> full.timed("psql copy to stdout | psql copy from stdin", s, "truncate bench_rows",
                                () -> shell(copy), () -> check(s, "bench_rows", rows));
                    }
                }
                for (String side : parts.contains("schema") ? order : List.<String>of()) {
                    Step count = () -> check(s, "s_order_lines", Long.parseLong(p.query("select count(*) from s_order_lines")));
                    switch (side) {
                        case "in-process" -> schema.timed("redundancy sync --full (in-process)", s, truncateSchema,
                                () -> sync.fullSync(Node.SECONDARY, schemaOpts), count);
                        case "cli" -> schema.timed("redundancy sync --full (CLI, JVM start included)", s, truncateSchema,
                                () -> shell(cli + " sync --to secondary --full --tables "
                                        + String.join(",", SCHEMA_TABLES) + " --quiet" + urls), count);
                        case "pg_dump" -> schema.timed("pg_dump -t (5 tables) | psql", s, truncateSchema,
                                () -> shell(schemaDump), count);
                        default -> schema.timed("psql copy | psql copy, table by table", s, truncateSchema,
                                () -> shell(schemaCopy), count);
                    }
                }
                order.add(order.remove(0));
            }
            System.out.println();
            System.out.println("Full copy of " + rows + " rows (bench_rows) to an empty table, median of " + rounds
                    + "; CPU of each process, median:");
            full.print("pg_dump -t bench_rows | psql");
            System.out.println();
            System.out.println("Full copy of the " + SCHEMA_TABLES.size() + "-table schema with foreign keys (" + schemaRows
                    + " rows), median of " + rounds + ":");
            schema.print("pg_dump -t (5 tables) | psql");

            // the secondary holds the data of the last full copy; bring the watermark up to date
            sync.fullSync(Node.SECONDARY, opts);
            sync.trackChanges(Node.PRIMARY, opts);
            sync.incrementalSync(Node.SECONDARY, opts);   // compares in full once: the tracking starts here
            Results other = new Results();
            long[] live = {rows};
            String changed = String.format(Locale.ROOT, "%,d changed rows (%,d deleted) of %,d", rows / 100, rows / 1000, rows);
            for (int r = 1; r <= (parts.contains("incremental") ? rounds * 2 : 0); r++) {
                // 1% of the rows changed: 0.9% updated, 0.1% deleted, spread over the whole table
                int round = r;
                String change = "update bench_rows set amount = amount + 1, updated_at = now() + interval '" + r
                        + " minutes' where id % 100 = " + r + "; delete from bench_rows where id % 1000 = " + r;
                Step check = () -> {
                    live[0] = Long.parseLong(p.query("select count(*) from bench_rows"));
                    check(s, "bench_rows", live[0]);
                };
                if (r % 2 == 1) {
                    other.timed("incremental sync, " + changed + " (in-process)", s, change,
                            p, () -> {
                                SyncResult res = sync.incrementalSync(Node.SECONDARY, opts);
                                if (res.rows() < rows / 1000 * 9 || res.deleted() < rows / 1000) {
                                    throw new IllegalStateException("round " + round + ": " + res);
                                }
                            }, check);
                } else {
                    other.timed("incremental sync, " + changed + " (CLI)", s, change, p,
                            () -> shell(cli + " sync --to secondary --tables bench_rows --quiet" + urls), check);
                }
            }
            for (int r = 0; r < (parts.contains("verify") ? rounds : 0); r++) {
                other.timed("verify, " + live[0] + " identical rows (in-process)", s, null, () -> {
                    VerifyResult v = sync.verify(opts);
                    if (!v.identical()) {
                        throw new IllegalStateException("verify found differences: " + v.differences());
                    }
                }, () -> { });
                other.timed("verify, " + live[0] + " identical rows (CLI)", s, null,
                        () -> shell(cli + " verify --tables bench_rows --quiet" + urls), () -> { });
            }
            System.out.println();
            System.out.println("Incremental sync and verify of bench_rows, median of " + rounds + ":");
            other.print(null);
            System.out.println("load average at the end: " + loadAverage());
        } finally {
            deleteTree(work.toFile());
        }
    }

    private static String copyPipe(PgServer p, PgServer s, String table) {
        return "PGUSER=postgres " + PG_BIN + "/psql -X -h 127.0.0.1 -p " + p.port + " -c 'copy " + table + " to stdout' bench"
                + " | PGUSER=postgres " + PG_BIN + "/psql -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " + s.port
                + " -c 'copy " + table + " from stdin' bench";
    }

    private static void check(PgServer target, String table, long rows) throws SQLException {
        long n = Long.parseLong(target.query("select count(*) from " + table));
        if (n != rows) {
            throw new IllegalStateException(table + " has " + n + " rows instead of " + rows);
        }
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private static PgServer[] servers;

    /** Wall and CPU times (source server, target server, client processes) of named methods. */
    private static final class Results {
        private final Map<String, List<double[]>> runs = new LinkedHashMap<>();

        void timed(String name, PgServer target, String prepare, Step step, Step check) throws Exception {
            timed(name, target, prepare, target, step, check);
        }

        /** {@code prepare} (on {@code on}, untimed), a checkpoint of both servers, then {@code step}, timed. */
        void timed(String name, PgServer target, String prepare, PgServer on, Step step, Step check) throws Exception {
            if (prepare != null) {
                on.sql(prepare);
            }
            for (PgServer sv : servers) {
                sv.sql("checkpoint");
            }
            settle();
            long[] c0 = cpuMs();
            long t = System.nanoTime();
            step.run();
            double ms = (System.nanoTime() - t) / 1e6;
            settle();
            long[] c1 = cpuMs();
            check.run();
            runs.computeIfAbsent(name, k -> new ArrayList<>()).add(new double[]{ms, c1[0] - c0[0], c1[1] - c0[1],
                    c1[2] - c0[2]});
            System.out.println(String.format(Locale.ROOT, "  %-72s %8.0f ms  (CPU source %5d, target %5d, client %5d ms)",
                    name, ms, c1[0] - c0[0], c1[1] - c0[1], c1[2] - c0[2]));
        }

        void print(String base) {
            if (runs.isEmpty()) {
                return;
            }
            double b = base == null ? 0 : median(runs.get(base), 0);
            System.out.println(String.format(Locale.ROOT, "  %-72s %9s %8s %27s  %s", "method", "wall", base == null ? "" : "vs base",
                    "CPU source/target/client", "runs (wall)"));
            for (Map.Entry<String, List<double[]>> e : runs.entrySet()) {
                List<double[]> v = e.getValue();
                double m = median(v, 0);
                System.out.println(String.format(Locale.ROOT, "  %-72s %6.0f ms %8s %8.0f/%5.0f/%5.0f ms (%5.0f)  %s",
                        e.getKey(), m, base == null ? "" : String.format(Locale.ROOT, "%.2fx", b / m), median(v, 1),
                        median(v, 2), median(v, 3), median(v, 1) + median(v, 2) + median(v, 3),
                        fmt(v.stream().map(x -> x[0]).toList())));
            }
        }
    }

    /**
     * CPU ms used so far by the source server, the target server (each: postmaster, live children, and exited backends
     * through the postmaster's cutime/cstime) and this JVM with the tools it waited for; read when no backend is left
     * ({@link #settle()}).
     */
    private static long[] cpuMs() throws IOException {
        long[] out = new long[3];
        for (int i = 0; i < 2; i++) {
            PgServer s = servers[i];
            long pm = Long.parseLong(Files.readAllLines(s.dir.resolve("data/postmaster.pid")).get(0).trim());
            long ticks = procTicks(pm, true);
            for (ProcessHandle child : ProcessHandle.of(pm).map(h -> h.children().toList()).orElse(List.of())) {
                ticks += procTicks(child.pid(), false);
            }
            out[i] = ticks * 10;   // USER_HZ = 100
        }
        out[2] = procTicks(ProcessHandle.current().pid(), true) * 10;
        return out;
    }

    /**
     * Waits until the servers have no backend but this reader's (at most 2 s): a backend that exits between the
     * reading of its postmaster and the listing of the children would be counted nowhere.
     */
    private static void settle() throws Exception {
        long end = System.nanoTime() + 2_000_000_000L;
        for (PgServer s : servers) {
            while (System.nanoTime() < end && Long.parseLong(s.query("select count(*) from pg_stat_activity"
                    + " where backend_type = 'client backend' and pid <> pg_backend_pid()")) > 0) {
                Thread.sleep(20);
            }
        }
        Thread.sleep(100);   // the reader's own backend exits too
    }

    private static long procTicks(long pid, boolean withChildren) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // fields after the name: state(0) ... utime(11) stime(12) cutime(13) cstime(14)
            long t = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            return withChildren ? t + Long.parseLong(f[13]) + Long.parseLong(f[14]) : t;
        } catch (IOException | RuntimeException e) {
            return 0;   // a process that just exited
        }
    }

    private static void shell(String cmd) throws IOException, InterruptedException {
        Process pr = new ProcessBuilder("bash", "-o", "pipefail", "-c", cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!pr.waitFor(10, TimeUnit.MINUTES) || pr.exitValue() != 0) {
            throw new IllegalStateException("failed: " + cmd);
        }
    }

    /** The launcher script a user runs ({@code ./redundancy}), which builds the jar when it is missing. */
    private static String findLauncher() {
        File f = new File("redundancy");
        if (!f.canExecute() || !new File("hibernate-redundancy/target/redundancy-cli.jar").isFile()) {
            throw new IllegalStateException("run from the repository root after ./mvnw -pl benchmarks -am package");
        }
        return f.getAbsolutePath();
    }

    private static double median(List<double[]> v, int i) {
        List<Double> s = new ArrayList<>(v.stream().map(x -> x[i]).toList());
        Collections.sort(s);
        return s.get(s.size() / 2);
    }

    private static String fmt(List<Double> v) {
        return Arrays.toString(v.stream().mapToLong(Math::round).toArray());
    }

    private static void deleteTree(File f) {
        File[] children = f.listFiles();
        if (children != null) {
            for (File c : children) {
                deleteTree(c);
            }
        }
        f.delete();
    }

    /** A PostgreSQL server in a temp directory, run as nobody when this process is root; stopped on close. */
    static final class PgServer implements AutoCloseable {
        final Path dir;
        final int port;

        private PgServer(Path dir, int port) {
            this.dir = dir;
            this.port = port;
        }

        static PgServer start(Path dir) throws Exception {
            Files.createDirectories(dir);
            int port;
            try (ServerSocket ss = new ServerSocket(0)) {
                port = ss.getLocalPort();
            }
            run("chown", "-R", "65534:65534", dir.toString());
            run(asPostgres(PG_BIN + "/initdb", "-D", dir.resolve("data").toString(), "-U", "postgres", "-A", "trust",
                    "-E", "UTF8", "--locale=C", "--no-sync"));
            run(asPostgres(PG_BIN + "/pg_ctl", "-D", dir.resolve("data").toString(), "-l", dir.resolve("log").toString(),
                    "-w", "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c shared_buffers=256MB"
                            + " -c max_wal_size=4GB -c checkpoint_timeout=30min", "start"));
            PgServer s = new PgServer(dir, port);
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "");
                 Statement st = c.createStatement()) {
                st.execute("create database bench");
            }
            return s;
        }

        private static String[] asPostgres(String... cmd) {
            if (!"root".equals(System.getProperty("user.name"))) {
                return cmd;
            }
            List<String> l = new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
            l.addAll(List.of(cmd));
            return l.toArray(new String[0]);
        }

        private static void run(String... cmd) throws IOException, InterruptedException {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
            }
        }

        String url() {
            return "postgresql://postgres@127.0.0.1:" + port + "/bench";
        }

        Connection connect() throws SQLException {
            return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/bench", "postgres", "");
        }

        void sql(String sql) throws SQLException {
            try (Connection c = connect(); Statement st = c.createStatement()) {
                st.execute(sql);
            }
        }

        String query(String sql) throws SQLException {
            try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                return rs.getString(1);
            }
        }

        String version() throws SQLException {
            return query("show server_version");
        }

        @Override
        public void close() throws Exception {
            run(asPostgres(PG_BIN + "/pg_ctl", "-D", dir.resolve("data").toString(), "-m", "immediate", "-w", "stop"));
        }
    }
}
