package io.dbredundancy.benchmarks.sync;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.sync.SyncOptions;
import io.dbredundancy.hibernate.sync.SyncResult;
import io.dbredundancy.hibernate.sync.SyncService;
import io.dbredundancy.hibernate.sync.VerifyResult;

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
 * secondary with {@code redundancy sync --full} (in-process and as the CLI jar), {@code pg_dump | psql} and
 * {@code psql copy | psql copy}; then an incremental sync of 10,000 changed rows and a verify of 1,000,000 identical
 * rows. Starts two PostgreSQL servers of the PostgreSQL installation given by {@code PG_BIN} (default Debian's 15,
 * whose pg_dump is the same major version), as user nobody when run as root.
 *
 * <pre>
 * ./mvnw -q -pl benchmarks -am package -DskipTests
 * java -cp benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar:hibernate-redundancy/target/redundancy-cli.jar \
 *      io.dbredundancy.benchmarks.sync.SyncBenchmark [rows] [rounds]
 * </pre>
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

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path work = Files.createTempDirectory("redundancy-sync-bench");
        work.toFile().setExecutable(true, false);
        work.toFile().setReadable(true, false);
        try (PgServer p = PgServer.start(work.resolve("primary")); PgServer s = PgServer.start(work.resolve("secondary"))) {
            System.out.println("PostgreSQL " + p.version() + " (" + PG_BIN + "), " + rows + " rows, " + rounds + " rounds, "
                    + Runtime.getRuntime().availableProcessors() + " cores");
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

            SyncService sync = SyncService.of(RedundancyConfig.from(Map.of(
                    "hibernate.redundancy.primary.url", p.url(), "hibernate.redundancy.secondary.url", s.url()), Map.of()));
            SyncOptions opts = SyncOptions.defaults().withTables(List.of("bench_rows"));
            String cliJar = findCliJar();
            Map<String, List<Double>> times = new LinkedHashMap<>();
            Map<String, List<Double>> cpu = new LinkedHashMap<>();
            servers = new PgServer[]{p, s};
            String pgEnv = "PGUSER=postgres ";
            String dump = pgEnv + PG_BIN + "/pg_dump -h 127.0.0.1 -p " + p.port + " --data-only -t bench_rows bench | "
                    + pgEnv + PG_BIN + "/psql -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " + s.port + " bench";
            String copy = pgEnv + PG_BIN + "/psql -X -h 127.0.0.1 -p " + p.port + " -c 'copy bench_rows to stdout' bench | "
                    + pgEnv + PG_BIN + "/psql -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " + s.port
                    + " -c 'copy bench_rows from stdin' bench";
            for (int r = 0; r < rounds; r++) {
                timed(times, cpu, "redundancy sync --full (in-process)", s, rows, () -> sync.fullSync(Node.SECONDARY, opts));
                if (cliJar != null) {
                    timed(times, cpu, "redundancy sync --full (CLI jar, incl. JVM start)", s, rows, () -> shell(
                            "java -jar " + cliJar + " sync --to secondary --full --tables bench_rows --quiet"
                                    + " --primary " + p.url() + " --secondary " + s.url()));
                }
                timed(times, cpu, "pg_dump -t bench_rows | psql", s, rows, () -> shell(dump));
                timed(times, cpu, "psql copy to stdout | psql copy from stdin", s, rows, () -> shell(copy));
            }
            System.out.println();
            System.out.println("Full copy of " + rows + " rows to an empty table (median of " + rounds + "):");
            double base = median(times.get("pg_dump -t bench_rows | psql"));
            for (Map.Entry<String, List<Double>> e : times.entrySet()) {
                double m = median(e.getValue());
                System.out.println(String.format(Locale.ROOT, "  %-52s %8.0f ms  %6.2fx vs pg_dump|psql   runs %s",
                        e.getKey(), m, base / m, fmt(e.getValue())));
            }
            System.out.println("CPU time of every process involved (both servers, tools, JVM), median; independent of"
                    + " other load on the machine:");
            double cbase = median(cpu.get("pg_dump -t bench_rows | psql"));
            for (Map.Entry<String, List<Double>> e : cpu.entrySet()) {
                double m = median(e.getValue());
                System.out.println(String.format(Locale.ROOT, "  %-52s %8.0f ms  %6.2fx less CPU than pg_dump|psql   runs %s",
                        e.getKey(), m, cbase / m, fmt(e.getValue())));
            }

            // the secondary holds the data of the last full sync (the psql pipe); bring the watermark up to date
            sync.fullSync(Node.SECONDARY, opts);
            sync.incrementalSync(Node.SECONDARY, opts);
            List<Double> inc = new ArrayList<>();
            List<Double> incCpu = new ArrayList<>();
            List<Double> verCpu = new ArrayList<>();
            for (int r = 1; r <= rounds; r++) {
                p.sql("update bench_rows set amount = amount + 1, updated_at = now() + interval '" + r + " minutes'"
                        + " where id % 100 = " + r);
                long c0 = cpuMs();
                long t = System.nanoTime();
                SyncResult res = sync.incrementalSync(Node.SECONDARY, opts);
                inc.add((System.nanoTime() - t) / 1e6);
                incCpu.add((double) (cpuMs() - c0));
                if (res.rows() < rows / 100) {
                    throw new IllegalStateException("incremental sync copied only " + res.rows() + " rows");
                }
            }
            List<Double> ver = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                long c0 = cpuMs();
                long t = System.nanoTime();
                VerifyResult v = sync.verify(opts);
                ver.add((System.nanoTime() - t) / 1e6);
                verCpu.add((double) (cpuMs() - c0));
                if (!v.identical()) {
                    throw new IllegalStateException("verify found differences: " + v.differences());
                }
            }
            System.out.println(String.format(Locale.ROOT, "Incremental sync of %d changed rows of %d: %8.0f ms median"
                    + " (CPU %.0f ms)   runs %s", rows / 100, rows, median(inc), median(incCpu), fmt(inc)));
            System.out.println(String.format(Locale.ROOT, "Verify of %d identical rows:            %8.0f ms median"
                    + " (CPU %.0f ms)   runs %s", rows, median(ver), median(verCpu), fmt(ver)));
        } finally {
            deleteTree(work.toFile());
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private static PgServer[] servers;

    private static void timed(Map<String, List<Double>> times, Map<String, List<Double>> cpu, String name,
                              PgServer target, int rows, Step step) throws Exception {
        target.sql("truncate bench_rows");
        target.sql("checkpoint");
        long c0 = cpuMs();
        long t = System.nanoTime();
        step.run();
        double ms = (System.nanoTime() - t) / 1e6;
        cpu.computeIfAbsent(name, k -> new ArrayList<>()).add((double) (cpuMs() - c0));
        long n = Long.parseLong(target.query("select count(*) from bench_rows"));
        if (n != rows) {
            throw new IllegalStateException(name + " left " + n + " rows instead of " + rows);
        }
        times.computeIfAbsent(name, k -> new ArrayList<>()).add(ms);
        System.out.println(String.format(Locale.ROOT, "  %-52s %8.0f ms", name, ms));
    }

    /**
     * CPU ms used so far by both servers (postmaster, live children, and exited backends through the postmaster's
     * cutime/cstime) and by this JVM with the tools it waited for.
     */
    private static long cpuMs() throws IOException {
        long ticks = procTicks(ProcessHandle.current().pid(), true);
        for (PgServer s : servers) {
            long pm = Long.parseLong(Files.readAllLines(s.dir.resolve("data/postmaster.pid")).get(0).trim());
            ticks += procTicks(pm, true);
            for (ProcessHandle child : ProcessHandle.of(pm).map(h -> h.children().toList()).orElse(List.of())) {
                ticks += procTicks(child.pid(), false);
            }
        }
        return ticks * 10;   // USER_HZ = 100
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

    private static String findCliJar() {
        File f = new File("hibernate-redundancy/target/redundancy-cli.jar");
        return f.isFile() ? f.getAbsolutePath() : null;
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
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
