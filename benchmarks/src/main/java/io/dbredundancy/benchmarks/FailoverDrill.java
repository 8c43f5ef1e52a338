package io.dbredundancy.benchmarks;

import io.dbredundancy.hibernate.testbed.PgServer;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import jakarta.persistence.EntityManagerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The failover drill of issue 3: one program, one run. Two real PostgreSQL servers; the same 4-thread JPA write
 * load against (a) the plugin and (b) plain Hibernate + HikariCP with pgjdbc's multi-host URL
 * ({@code targetServerType=any}); kill -9 and SIGSTOP of the primary, N repetitions each; the time from the fault
 * to the first commit that lands on the secondary (each transaction asks {@code inet_server_port()}). Then read
 * and write throughput on a healthy primary, plugin against plain Hibernate + HikariCP, alternating.
 *
 * <p>Options ({@code --name=value}): {@code reps} (5), {@code tps-seconds} (10), {@code tps-slice-ms} (250),
 * {@code threads} (4), {@code timeout-seconds} (60), {@code skip-tps} / {@code skip-failover} (false),
 * {@code sides} (plugin,baseline), {@code mirror} (off).
 */
public final class FailoverDrill {

    static final String DB = "drill";
    static final String APP_USER = "app";
    static final String APP_PASSWORD = "drill-app-secret";
    /** pgjdbc's socketTimeout for the baseline; its default (0) would leave a hung server's threads blocked forever. */
    static final int BASELINE_SOCKET_TIMEOUT_S = 10;
    static final int SEED_ROWS = 10_000;
    static final int POOL_SIZE = 10;
    /** The plugin's {@code mirror.mode} ({@code --mirror=off|async|sync}); off by default: the drill measures routing. */
    static volatile String mirrorMode = "off";

    enum Fault {
        KILL9("kill -9"), SIGSTOP("SIGSTOP");

        final String label;

        Fault(String label) {
            this.label = label;
        }

        void apply(PgServer server) {
            if (this == KILL9) {
                server.kill9();
            } else {
                server.freeze();
            }
        }
    }

    private final Map<String, String> options;
    private final int threads;
    private final Duration timeout;

    private FailoverDrill(Map<String, String> options) {
        this.options = options;
        this.threads = Integer.parseInt(options.getOrDefault("threads", "4"));
        this.timeout = Duration.ofSeconds(Long.parseLong(options.getOrDefault("timeout-seconds", "60")));
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>();
        for (String a : args) {
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("options look like --reps=5; got: " + a);
            }
            String[] kv = a.substring(2).split("=", 2);
            options.put(kv[0], kv.length > 1 ? kv[1] : "true");
        }
        new FailoverDrill(options).run();
        System.exit(0);
    }

    private void run() throws Exception {
        boolean pluginPresent = classPresent("io.dbredundancy.hibernate.routing.RedundantConnectionProvider")
                && classPresent("io.dbredundancy.hibernate.routing.ActiveNodeResolver");
        List<Side> sides = new ArrayList<>();
        for (String s : options.getOrDefault("sides", "plugin,baseline").split(",")) {
            Side side = Side.valueOf(s.trim().toUpperCase(Locale.ROOT));
            if (side == Side.PLUGIN && !pluginPresent) {
                System.out.println("NOTE: the plugin's RedundantConnectionProvider is not on the classpath: plugin side skipped");
                continue;
            }
            sides.add(side);
        }
        int reps = Integer.parseInt(options.getOrDefault("reps", "5"));
        mirrorMode = options.getOrDefault("mirror", "off");

        System.out.printf("FailoverDrill: %d writer threads, %d repetitions per fault, pool size %d, plugin mirror.mode=%s, %s, %d cores%n",
                threads, reps, POOL_SIZE, mirrorMode, Runtime.version(), Runtime.getRuntime().availableProcessors());
        try (PostgresPair pair = new PostgresPair().start()) {
            prepare(pair.primary(), 1_000_000L);
            prepare(pair.secondary(), 1_000_000_000_000L);
            System.out.printf("primary 127.0.0.1:%d, secondary 127.0.0.1:%d (PostgreSQL 17, fsync=off)%n",
                    pair.primary().port(), pair.secondary().port());

            Map<Side, Map<Fault, List<OptionalLong>>> results = new EnumMap<>(Side.class);
            Map<Side, Map<Fault, Long>> longest = new EnumMap<>(Side.class);
            if (!options.containsKey("skip-failover")) {
                for (Fault fault : Fault.values()) {
                    for (int rep = 0; rep < reps; rep++) {
                        List<Side> order = new ArrayList<>(sides);
                        if (rep % 2 == 1) {
                            java.util.Collections.reverse(order);
                        }
                        for (Side side : order) {
                            RepResult r = failoverRep(pair, side, fault);
                            results.computeIfAbsent(side, k -> new EnumMap<>(Fault.class))
                                    .computeIfAbsent(fault, k -> new ArrayList<>()).add(r.millis());
                            longest.computeIfAbsent(side, k -> new EnumMap<>(Fault.class)).merge(fault, r.longestMs(), Math::max);
                            System.out.printf("  %-8s rep %d %-30s first commit on the secondary after %s"
                                            + " (failed attempts %d, longest attempt %d ms)%n",
                                    fault.label, rep + 1, side.label(), fmt(r.millis()), r.failed(), r.longestMs());
                        }
                    }
                }
                printFailoverTable(sides, results, longest, reps);
            }
            if (!options.containsKey("skip-tps")) {
                throughput(pair, sides.contains(Side.PLUGIN));
            }
        }
    }

    record RepResult(OptionalLong millis, long failed, long longestMs) {
    }

    private RepResult failoverRep(PostgresPair pair, Side side, Fault fault) {
        pair.heal();
        PgServer primary = pair.primary();
        PgServer secondary = pair.secondary();
        forgetHostStatus(primary, secondary);
        EntityManagerFactory emf = side.open(primary, secondary, DB, POOL_SIZE);
        WriteLoad load = new WriteLoad(emf, threads, WriteLoad.Kind.WRITE, true, SEED_ROWS, side.name().toLowerCase(Locale.ROOT));
        try {
            long warmDeadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            WriteLoad.sleep(1_000);
            while (load.commitsOn(primary.port()) < 200 && System.nanoTime() < warmDeadline) {
                WriteLoad.sleep(20);
            }
            if (load.commitsOn(primary.port()) < 200) {
                throw new IllegalStateException(side.label() + ": no steady load on the primary before the fault");
            }
            long failedBefore = load.failed();
            long t0 = System.nanoTime();
            load.resetLongest();
            fault.apply(primary);
            long deadline = t0 + timeout.toNanos();
            Optional<Long> first;
            while ((first = load.firstCommitOn(secondary.port(), t0)).isEmpty() && System.nanoTime() < deadline) {
                WriteLoad.sleep(2);
            }
            OptionalLong ms = first.map(f -> OptionalLong.of((f - t0) / 1_000_000)).orElse(OptionalLong.empty());
            // give the threads blocked at the fault time to return (a thread still blocked counts in "longest attempt")
            WriteLoad.sleep(Math.max(200, ms.orElse(0)));
            return new RepResult(ms, load.failed() - failedBefore, load.longestMs());
        } finally {
            load.requestStop();
            pair.heal(); // thaw/restart first, so no thread stays blocked on the dead primary
            if (!load.stopAndJoin(Duration.ofSeconds(60))) {
                System.out.println("  WARNING: writer threads still blocked 60 s after the fault was healed");
            }
            emf.close();
        }
    }

    /**
     * Both contestants' factories are open and warm at once; their loads take turns in 1 s slices (ABBA order),
     * so the noise of a shared machine falls on both alike. TPS = commits / time over all slices of a side.
     */
    private void throughput(PostgresPair pair, boolean plugin) {
        int seconds = Integer.parseInt(options.getOrDefault("tps-seconds", "10"));
        long sliceMs = Long.parseLong(options.getOrDefault("tps-slice-ms", "250"));
        pair.heal();
        forgetHostStatus(pair.primary(), pair.secondary());
        List<Side> sides = plugin ? List.of(Side.PLUGIN, Side.PLAIN) : List.of(Side.PLAIN);
        System.out.printf("%nThroughput on a healthy primary: %d threads, %d s per side in %d ms slices taking turns%n",
                threads, seconds, sliceMs);
        System.out.println();
        System.out.printf("| %-6s | %14s | %23s | %8s | %15s |%n", "load", "plugin tx/s", "Hibernate+HikariCP tx/s", "ratio",
                "paired median");
        System.out.println("|--------|----------------|-------------------------|----------|-----------------|");
        for (WriteLoad.Kind kind : WriteLoad.Kind.values()) {
            Map<Side, EntityManagerFactory> emfs = new EnumMap<>(Side.class);
            Map<Side, WriteLoad> loads = new EnumMap<>(Side.class);
            Map<Side, double[]> acc = new EnumMap<>(Side.class); // commits, nanos
            Map<Side, List<Double>> sliceTps = new EnumMap<>(Side.class);
            try {
                for (Side side : sides) {
                    EntityManagerFactory emf = side.open(pair.primary(), pair.secondary(), DB, POOL_SIZE);
                    emfs.put(side, emf);
                    WriteLoad load = new WriteLoad(emf, threads, kind, false, SEED_ROWS, "tps-" + side.name().toLowerCase(Locale.ROOT));
                    WriteLoad.sleep(3_000); // warm-up: JIT, pool filled
                    load.pause();
                    loads.put(side, load);
                    acc.put(side, new double[2]);
                    sliceTps.put(side, new ArrayList<>());
                }
                long slices = Math.max(1, seconds * 1000L / sliceMs);
                for (long i = 0; i < slices * sides.size(); i++) {
                    // ABBA: 0 1 1 0 0 1 1 0 ...
                    int idx = sides.size() == 1 ? 0 : (int) (((i + 1) / 2) % 2);
                    Side side = sides.get(idx);
                    WriteLoad load = loads.get(side);
                    long c0 = load.committed();
                    long t0 = System.nanoTime();
                    load.resume();
                    WriteLoad.sleep(sliceMs);
                    load.pause();
                    long t1 = System.nanoTime();
                    WriteLoad.sleep(20); // the slice's last transactions finish
                    long c1 = load.committed();
                    acc.get(side)[0] += c1 - c0;
                    acc.get(side)[1] += t1 - t0;
                    sliceTps.get(side).add((c1 - c0) / ((t1 - t0) / 1e9));
                }
            } finally {
                loads.values().forEach(l -> l.stopAndJoin(Duration.ofSeconds(30)));
                emfs.values().forEach(EntityManagerFactory::close);
            }
            double base = tps(acc.get(Side.PLAIN));
            String name = kind.name().toLowerCase(Locale.ROOT);
            if (plugin) {
                double pl = tps(acc.get(Side.PLUGIN));
                System.out.printf("| %-6s | %14.0f | %23.0f | %7.1f%% | %14.1f%% |%n", name, pl, base, 100 * pl / base,
                        100 * medianPairedRatio(sliceTps.get(Side.PLUGIN), sliceTps.get(Side.PLAIN)));
            } else {
                System.out.printf("| %-6s | %14s | %23.0f | %8s | %15s |%n", name, "n/a", base, "n/a", "n/a");
            }
        }
    }

    /** Median over k of plugin slice k / plain slice k: ABBA makes the k-th slices of both sides neighbours. */
    private static double medianPairedRatio(List<Double> plugin, List<Double> plain) {
        List<Double> ratios = new ArrayList<>();
        for (int k = 0; k < Math.min(plugin.size(), plain.size()); k++) {
            if (plain.get(k) > 0) {
                ratios.add(plugin.get(k) / plain.get(k));
            }
        }
        if (ratios.isEmpty()) {
            return Double.NaN;
        }
        java.util.Collections.sort(ratios);
        int n = ratios.size();
        return n % 2 == 1 ? ratios.get(n / 2) : (ratios.get(n / 2 - 1) + ratios.get(n / 2)) / 2;
    }

    private static double tps(double[] acc) {
        return acc == null || acc[1] == 0 ? Double.NaN : acc[0] / (acc[1] / 1e9);
    }

    private static void printFailoverTable(List<Side> sides, Map<Side, Map<Fault, List<OptionalLong>>> results,
                                           Map<Side, Map<Fault, Long>> longest, int reps) {
        System.out.println();
        System.out.printf("Time from the fault to the first commit on the secondary, %d repetitions: median / max;"
                + " and the longest any application thread was blocked in one transaction attempt%n", reps);
        StringBuilder head = new StringBuilder("| fault    ");
        StringBuilder rule = new StringBuilder("|----------");
        for (Side side : sides) {
            head.append(String.format("| %-42s ", side.label()));
            rule.append("|--------------------------------------------");
        }
        System.out.println(head.append('|'));
        System.out.println(rule.append('|'));
        for (Fault fault : Fault.values()) {
            StringBuilder row = new StringBuilder(String.format("| %-8s ", fault.label));
            for (Side side : sides) {
                List<OptionalLong> values = results.getOrDefault(side, Map.of()).getOrDefault(fault, List.of());
                Long blocked = longest.getOrDefault(side, Map.of()).get(fault);
                row.append(String.format("| %-42s ", medianMax(values) + (blocked == null ? "" : "; blocked <= " + blocked + " ms")));
            }
            System.out.println(row.append('|'));
        }
    }

    private static String medianMax(List<OptionalLong> values) {
        if (values.isEmpty()) {
            return "n/a";
        }
        List<Long> sorted = values.stream().map(v -> v.isPresent() ? v.getAsLong() : Long.MAX_VALUE).sorted().toList();
        long median = sorted.get(sorted.size() / 2);
        long max = sorted.get(sorted.size() - 1);
        return ms(median) + " / " + ms(max);
    }

    private static String ms(long v) {
        return v == Long.MAX_VALUE ? "none in time" : v + " ms";
    }

    private static String fmt(OptionalLong v) {
        return v.isPresent() ? v.getAsLong() + " ms" : "NONE within the timeout";
    }

    /** The app role (same password on both servers, so one multi-host URL fits), database, table, sequence, seed rows. */
    static void prepare(PgServer server, long sequenceStart) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE ROLE " + APP_USER + " LOGIN PASSWORD '" + APP_PASSWORD + "'");
            s.execute("CREATE DATABASE " + DB + " OWNER " + APP_USER);
        }
        try (Connection c = DriverManager.getConnection(server.jdbcUrl(DB), APP_USER, APP_PASSWORD);
             Statement s = c.createStatement()) {
            for (String ddl : DrillEvent.DDL) {
                s.execute(ddl);
            }
            s.execute("CREATE SEQUENCE drill_event_seq START WITH " + sequenceStart + " INCREMENT BY 50");
            s.execute("INSERT INTO drill_event (id, worker, n, payload, created_at) "
                    + "SELECT g, -1, g, 'seed ' || g, now() FROM generate_series(1, " + SEED_ROWS + ") g");
            s.execute("ANALYZE drill_event");
        }
    }

    /**
     * pgjdbc remembers a failed host JVM-wide for {@code hostRecheckSeconds} (10 s) and would start the next
     * repetition's fresh pool on the secondary; every repetition starts like a freshly started application.
     */
    static void forgetHostStatus(PgServer... servers) {
        for (PgServer s : servers) {
            org.postgresql.hostchooser.GlobalHostStatusTracker.reportHostStatus(
                    new org.postgresql.util.HostSpec(s.host(), s.port()), org.postgresql.hostchooser.HostStatus.ConnectOK);
        }
    }

    private static boolean classPresent(String name) {
        try {
            Class.forName(name, false, FailoverDrill.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
