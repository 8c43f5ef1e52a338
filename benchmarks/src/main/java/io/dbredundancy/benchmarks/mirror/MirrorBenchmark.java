package io.dbredundancy.benchmarks.mirror;

import com.zaxxer.hikari.HikariDataSource;
import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.mirror.MirrorRuntime;
import io.dbredundancy.hibernate.testbed.PgServer;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import jakarta.persistence.EntityManagerFactory;
import org.hibernate.SessionFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * What the mirror costs, in one run: the same write workload on plain Hibernate + HikariCP on one database
 * ({@code plain}), the plugin with {@code mirror.mode=off}, {@code async} and {@code sync}, the sides taking turns
 * in short slices (round-robin, order shuffled per round by the seed) so the noise of a shared machine falls on all
 * of them alike. Two real PostgreSQL servers from the test bed; each side has its own database on both, and every
 * unit stays open for the whole run.
 *
 * <p>Per side and workload: tx/s (median of the slices) and its ratio to plain (median of the per-round ratios);
 * for the mirrored sides the relay's applied entries per second during the load, the backlog when the load stops
 * and the time until it is drained, and the mirror lag (journal write to the batch's commit on the secondary) p50,
 * p99 and max, at full load and at half load (a capped run at 50 % of that side's measured tx/s); CPU seconds of
 * this JVM (the writer threads and the plugin's mirror threads among them) and of each PostgreSQL server (its
 * postmaster's process tree), over the load and the drain, so a miss names its component.
 *
 * <p>Workloads ({@link Workload}): {@code items} (insert a small versioned entity, then update it) and
 * {@code orders} (an order with 5 lines and 2-3 tags, then a status update); by default both, one after the other.
 *
 * <p>Options, as {@code --name=value} or the system property {@code mirror.<name>} (the argument wins):
 * {@code slice} seconds per slice (2.5), {@code rounds} at full load (4), {@code half-rounds} at half load (2),
 * {@code warmup} slices per side before measuring (2), {@code threads} (4), {@code pool} (10), {@code workloads}
 * ({@code items,orders}), {@code seed} (42), {@code drain-timeout} seconds (60).
 */
public final class MirrorBenchmark {

    private final Config config;
    private final Map<MirrorSide, Unit> units = new EnumMap<>(MirrorSide.class);
    private PgServer primary;
    private PgServer secondary;
    private final Map<MirrorSide, ReplicationProbe> probes = new EnumMap<>(MirrorSide.class);
    private CpuMeter cpu;
    private volatile LagSampler activeSampler;

    /**
     * With -Dmirror.statements=true and -Dtestbed.pg.settings=shared_preload_libraries=pg_stat_statements: the
     * statements that took each server's time, all sides together (a miss's component, statement by statement).
     */
    private static void statements(PostgresPair pg) {
        for (PgServer s : List.of(pg.primary(), pg.secondary())) {
            System.out.println("top statements on the " + s.name() + " (total ms, calls, mean µs, mean planning µs, plans, query):");
            for (MirrorSide side : MirrorSide.values()) {
                try (java.sql.Connection c = s.connect(side.database());
                     java.sql.Statement st = c.createStatement()) {
                    st.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
                    try (java.sql.ResultSet rs = st.executeQuery("SELECT round(total_exec_time + total_plan_time), calls,"
                            + " round((total_exec_time + total_plan_time) * 1000 / greatest(calls, 1)),"
                            + " round(total_plan_time * 1000 / greatest(calls, 1)) || ' plan ' || plans || 'x '"
                            + " || left(regexp_replace(query, '\\s+', ' ', 'g'), 100) FROM pg_stat_statements s"
                            + " JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database()"
                            + " ORDER BY 1 DESC LIMIT 8")) {
                        while (rs.next()) {
                            System.out.printf(Locale.ROOT, "  %-5s %8d %8d %6d  %s%n", side.name().toLowerCase(Locale.ROOT),
                                    rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getString(4));
                        }
                    }
                } catch (java.sql.SQLException e) {
                    System.out.println("  " + side + ": " + e.getMessage());
                }
            }
        }
    }

    private MirrorBenchmark(Config config) {
        this.config = config;
    }

    public static void main(String[] args) throws Exception {
        Config config = Config.from(args);
        new MirrorBenchmark(config).run();
        System.exit(0);
    }

    /** The options, validated once. */
    record Config(double slice, int rounds, int halfRounds, int warmup, int threads, int pool, List<Workload> workloads,
                  long seed, int drainTimeout) {

        static Config from(String[] args) {
            Map<String, String> o = new LinkedHashMap<>();
            for (String name : List.of("slice", "rounds", "half-rounds", "warmup", "threads", "pool", "workloads", "seed", "drain-timeout")) {
                String v = System.getProperty("mirror." + name);
                if (v != null && !v.isBlank()) {
                    o.put(name, v.trim());
                }
            }
            for (String a : args) {
                if (a.isBlank()) {
                    continue;
                }
                if (!a.startsWith("--") || !a.contains("=")) {
                    throw new IllegalArgumentException("options look like --slice=2.5 (or -Dmirror.slice=2.5); got: " + a);
                }
                String[] kv = a.substring(2).split("=", 2);
                o.put(kv[0], kv[1]);
            }
            Config c = new Config(
                    positive(o, "slice", 2.5),
                    (int) positive(o, "rounds", 4),
                    (int) atLeast(o, "half-rounds", 2, 0),
                    (int) atLeast(o, "warmup", 2, 0),
                    (int) positive(o, "threads", 4),
                    (int) positive(o, "pool", 10),
                    Arrays.stream(o.getOrDefault("workloads", "items,orders").split(",")).map(String::trim).map(Workload::byId).toList(),
                    Long.parseLong(o.getOrDefault("seed", "42")),
                    (int) positive(o, "drain-timeout", 60));
            o.keySet().removeAll(List.of("slice", "rounds", "half-rounds", "warmup", "threads", "pool", "workloads", "seed", "drain-timeout"));
            if (!o.isEmpty()) {
                throw new IllegalArgumentException("unknown option(s) " + o.keySet() + "; known: slice, rounds, half-rounds, warmup,"
                        + " threads, pool, workloads, seed, drain-timeout");
            }
            return c;
        }

        private static double positive(Map<String, String> o, String name, double dflt) {
            return atLeast(o, name, dflt, Double.MIN_VALUE);
        }

        private static double atLeast(Map<String, String> o, String name, double dflt, double min) {
            String v = o.get(name);
            double d;
            try {
                d = v == null ? dflt : Double.parseDouble(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("mirror." + name + " must be a number, but was '" + v + "'");
            }
            if (d < min) {
                throw new IllegalArgumentException("mirror." + name + " must be " + (min == Double.MIN_VALUE ? "> 0" : ">= " + (long) min)
                        + ", but was " + v);
            }
            return d;
        }

        String line() {
            int sides = MirrorSide.values().length;
            long mirrored = Arrays.stream(MirrorSide.values()).filter(MirrorSide::replicated).count();
            return String.format(Locale.ROOT, "seed=%d slice=%ss rounds=%d half-rounds=%d warmup=%d threads=%d pool=%d workloads=%s"
                            + " drain-timeout=%ds; load per workload %s s (warm-up %s, full %s, half %s) plus the drains",
                    seed, num(slice), rounds, halfRounds, warmup, threads, pool, workloadIds(), drainTimeout,
                    num(slice * (sides * (warmup + rounds) + mirrored * halfRounds)), num(slice * sides * warmup),
                    num(slice * sides * rounds), num(slice * mirrored * halfRounds));
        }

        String command() {
            return String.format(Locale.ROOT, "./mvnw -q -B -pl benchmarks -am package -DskipTests -Pmirror-bench -Dmirror.slice=%s"
                            + " -Dmirror.rounds=%d -Dmirror.half-rounds=%d -Dmirror.warmup=%d -Dmirror.threads=%d -Dmirror.pool=%d"
                            + " -Dmirror.workloads=%s -Dmirror.seed=%d -Dmirror.drain-timeout=%d",
                    num(slice), rounds, halfRounds, warmup, threads, pool, workloadIds(), seed, drainTimeout);
        }

        private String workloadIds() {
            return String.join(",", workloads.stream().map(Workload::id).toList());
        }

        static String num(double d) {
            return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
        }
    }

    /** One side's open unit. */
    private record Unit(MirrorSide side, EntityManagerFactory emf, MirrorRuntime mirror, LagSampler lag, JournalProbe journal,
                        HikariDataSource pool) {
        void close() {
            if (journal != null) {
                journal.close();
            }
            emf.close();
            if (pool != null) {
                pool.close();
            }
        }
    }

    /**
     * One slice of one side. {@code applied*}, {@code backlog}, {@code drainMs} and {@code lag} only for mirrored
     * sides ({@code drainMs} -1: not drained within the time-out); {@code lag} null when only {@code lagP99} is known.
     */
    record Slice(MirrorSide side, int round, double targetRate, WriterLoad.Result load, long appliedDuringLoad,
                 long appliedTotal, long backlog, long drainMs, long[] lag, long lagP99, CpuMeter.Reading cpu) {
    }

    private void run() throws Exception {
        Instant began = Instant.now();
        // logical WAL for every side: the native side needs it, and the plain baseline runs on the same servers
        try (PostgresPair pg = new PostgresPair(PostgresPair.logical()).start()) {
            primary = pg.primary();
            secondary = pg.secondary();
            cpu = new CpuMeter(() -> pg.primary().postmasterPid().orElse(-1L), () -> pg.secondary().postmasterPid().orElse(-1L));
            for (MirrorSide side : MirrorSide.values()) {
                for (PgServer s : List.of(pg.primary(), pg.secondary())) {
                    side.createSchema(s);
                }
            }
            for (MirrorSide side : MirrorSide.values()) {
                if (side.probed()) {
                    for (PgServer s : List.of(pg.primary(), pg.secondary())) {
                        ReplicationProbe.prepare(s, side.database());
                    }
                    probes.put(side, new ReplicationProbe(pg.primary(), pg.secondary(), side.database()));
                }
            }
            barePublication(pg);
            for (MirrorSide side : MirrorSide.values()) {
                HikariDataSource[] plainPool = new HikariDataSource[1];
                EntityManagerFactory emf = side.open(pg.primary(), pg.secondary(), config.pool, plainPool);
                MirrorRuntime m = MirrorRuntime.of(emf.unwrap(SessionFactory.class));
                if (side.mirrored() && m == null) {
                    throw new IllegalStateException("side " + side.id() + ": the unit has no MirrorRuntime (mirror.mode not applied?)");
                }
                if (side == MirrorSide.NATIVE_UNFENCED) {
                    unfence(pg.primary(), side.database());
                }
                units.put(side, new Unit(side, emf, m, m == null ? null : new LagSampler(m),
                        m == null ? null : new JournalProbe(pg.primary(), side.database(), m), plainPool[0]));
            }
            Thread sampler = new Thread(this::sampleLag, "bench-lag-sampler");
            sampler.setDaemon(true);
            sampler.start();

            System.out.println("MirrorBenchmark: " + config.line());
            System.out.println("machine: " + Runtime.getRuntime().availableProcessors() + " cores, load average " + loadAverage()
                    + "; JDK " + System.getProperty("java.version") + "; " + serverSettings(pg.primary()) + "; " + gitCommit());
            System.out.println("reproduce: " + config.command());
            System.out.println("legend: CPU of the JVM with its parts (writers, the plugin's mirror threads, other Java threads,"
                    + " GC with the VM thread, JIT; a thread that ended in the window counts in the total only), and of each"
                    + " PostgreSQL server (its postmaster's process tree); lag = journal write to the commit of its batch on"
                    + " the secondary (the plugin's own samples, all of them)");
            String lagNote = units.get(MirrorSide.ASYNC).lag().unavailable();
            if (lagNote != null) {
                System.out.println("note: " + lagNote);
            }
            Random schedule = new Random(config.seed);
            for (Workload w : config.workloads) {
                runWorkload(w, schedule);
            }
            System.out.printf(Locale.ROOT, "%ntotal %d s; load average at the end %s%n",
                    Duration.between(began, Instant.now()).toSeconds(), loadAverage());
            if (Boolean.getBoolean("mirror.statements")) {
                statements(pg);
            }
            units.values().forEach(Unit::close);
        }
    }

    private void runWorkload(Workload w, Random schedule) throws InterruptedException {
        System.out.printf(Locale.ROOT, "%n== workload %s: %d threads, each iteration: %s%n", w.id(), config.threads, w.description());
        List<MirrorSide> sides = List.of(MirrorSide.values());
        for (int i = 0; i < config.warmup; i++) {
            for (MirrorSide side : sides) {
                Slice s = slice(w, side, 0, 0, schedule.nextLong());
                log(w, "warm-up", s);
            }
        }
        Map<MirrorSide, List<Slice>> full = new EnumMap<>(MirrorSide.class);
        List<Map<MirrorSide, Slice>> rounds = new ArrayList<>();
        for (int r = 1; r <= config.rounds; r++) {
            List<MirrorSide> order = new ArrayList<>(sides);
            Collections.shuffle(order, schedule);
            Map<MirrorSide, Slice> round = new EnumMap<>(MirrorSide.class);
            for (MirrorSide side : order) {
                Slice s = slice(w, side, r, 0, schedule.nextLong());
                log(w, "round " + r, s);
                full.computeIfAbsent(side, k -> new ArrayList<>()).add(s);
                round.put(side, s);
            }
            rounds.add(round);
        }
        Map<MirrorSide, List<Slice>> half = new EnumMap<>(MirrorSide.class);
        List<MirrorSide> mirrored = sides.stream().filter(MirrorSide::replicated).toList();
        for (int r = 1; r <= config.halfRounds; r++) {
            List<MirrorSide> order = new ArrayList<>(mirrored);
            Collections.shuffle(order, schedule);
            for (MirrorSide side : order) {
                double rate = median(full.get(side).stream().mapToDouble(s -> s.load().txPerSecond()).toArray()) / 2;
                Slice s = slice(w, side, r, rate, schedule.nextLong());
                log(w, "half " + r, s);
                half.computeIfAbsent(side, k -> new ArrayList<>()).add(s);
            }
        }
        Report.print(w, config, full, rounds, half);
    }

    /** Full speed ({@code rate} 0) or capped; the load, then (mirrored sides) the drain; CPU over both. */
    private Slice slice(Workload w, MirrorSide side, int round, double rate, long seed) throws InterruptedException {
        Unit u = units.get(side);
        if (u.mirror() != null) {
            awaitDrained(u, Duration.ofSeconds(config.drainTimeout)); // a previous time-out's rest
            u.lag().reset();
            activeSampler = u.lag();
        }
        long applied0 = u.mirror() == null ? 0 : u.mirror().stats().appliedTotal();
        CpuMeter.Reading cpu0 = cpu.read();
        if (side.probed()) {
            WriterLoad.Result[] result = new WriterLoad.Result[1];
            long[] lag = probes.get(side).during(() -> {
                try {
                    result[0] = WriterLoad.run(u.emf(), w, config.threads, config.slice, rate, seed, () -> 0);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            });
            long[] drain = replicationDrain(side, config.drainTimeout);
            CpuMeter.Reading used = cpu.read().minus(cpu0);
            return new Slice(side, round, rate, result[0], 0, 0, drain[0], drain[1], lag,
                    lag.length == 0 ? -1 : percentile(lag, 0.99), used);
        }
        WriterLoad.Result load = WriterLoad.run(u.emf(), w, config.threads, config.slice, rate, seed,
                () -> u.mirror() == null ? 0 : u.mirror().stats().appliedTotal());
        if (u.mirror() == null) {
            CpuMeter.Reading used = cpu.read().minus(cpu0);
            return new Slice(side, round, rate, load, 0, 0, -1, -1, null, -1, used);
        }
        long appliedLoad = load.atDeadline() - applied0;
        long stopped = System.nanoTime();
        long backlog = u.journal().backlog();
        long drainMs = -1;
        long deadline = stopped + TimeUnit.SECONDS.toNanos(config.drainTimeout);
        for (boolean drained = backlog == 0; System.nanoTime() < deadline; drained = u.journal().drained()) {
            if (drained) {
                drainMs = (System.nanoTime() - stopped) / 1_000_000;
                break;
            }
            Thread.sleep(5);
        }
        CpuMeter.Reading used = cpu.read().minus(cpu0);
        settle(u);
        activeSampler = null;
        u.lag().take();
        long appliedAll = u.mirror().stats().appliedTotal() - applied0;
        long[] lag = u.lag().samples();
        long p99 = lag == null ? u.lag().runtimeP99() : percentile(lag, 0.99);
        return new Slice(side, round, rate, load, appliedLoad, appliedAll, backlog, drainMs, lag, p99, used);
    }

    /**
     * {@code mirror.mode=native} after a slice: the WAL its subscription has not confirmed (bytes, the backlog), and
     * the ms until a marker committed on the primary now is on the secondary (commit order: everything before it is).
     */
    private long[] replicationDrain(MirrorSide side, long timeoutS) throws InterruptedException {
        String slot = side == MirrorSide.BARE ? "bench_bare"
                : io.dbredundancy.hibernate.replication.NativeNames.of(side.unit()).subscriptionOn(Node.SECONDARY);
        long token = System.nanoTime();
        long backlog = -1;
        long stopped = System.nanoTime();
        try (java.sql.Connection p = primary.connect(side.database());
             java.sql.Connection s = secondary.connect(side.database());
             java.sql.Statement st = p.createStatement()) {
            try (java.sql.ResultSet rs = st.executeQuery("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint"
                    + " FROM pg_replication_slots WHERE slot_name = '" + slot + "'")) {
                backlog = rs.next() ? rs.getLong(1) : -1;
            }
            st.executeUpdate("UPDATE bench_probe SET token = " + token + " WHERE id = 1");
            long deadline = stopped + TimeUnit.SECONDS.toNanos(timeoutS);
            try (java.sql.PreparedStatement ps = s.prepareStatement("SELECT token FROM bench_probe WHERE id = 1")) {
                while (System.nanoTime() < deadline) {
                    try (java.sql.ResultSet rs = ps.executeQuery()) {
                        if (rs.next() && rs.getLong(1) == token) {
                            return new long[]{backlog, (System.nanoTime() - stopped) / 1_000_000};
                        }
                    }
                    Thread.sleep(2);
                }
            }
        } catch (java.sql.SQLException e) {
            System.out.println("warning: native drain not measured: " + e.getMessage());
        }
        return new long[]{backlog, -1};
    }

    /**
     * The {@code bare} side's publication on the primary and subscription on the secondary (tables without a key get
     * REPLICA IDENTITY FULL, as native setup does).
     */
    private static void barePublication(PostgresPair pg) throws SQLException {
        String db = MirrorSide.BARE.database();
        for (PgServer s : List.of(pg.primary(), pg.secondary())) {
            try (Connection c = s.connect(db); Statement st = c.createStatement()) {
                List<String> unkeyed = new ArrayList<>();
                try (ResultSet rs = st.executeQuery("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE n.nspname = 'public' AND c.relkind = 'r' AND NOT EXISTS (SELECT 1 FROM pg_index i"
                        + " WHERE i.indrelid = c.oid AND i.indisprimary)")) {
                    while (rs.next()) {
                        unkeyed.add(rs.getString(1));
                    }
                }
                for (String t : unkeyed) {
                    st.execute("ALTER TABLE \"" + t + "\" REPLICA IDENTITY FULL");
                }
            }
        }
        try (Connection c = pg.primary().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE PUBLICATION bench_bare FOR ALL TABLES");
        }
        try (Connection c = pg.secondary().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE SUBSCRIPTION bench_bare CONNECTION 'host=127.0.0.1 port=" + pg.primary().port() + " dbname=" + db
                    + " user=" + pg.primary().user() + " password=" + pg.primary().password()
                    + "' PUBLICATION bench_bare WITH (copy_data = false)");
        }
    }

    /** Disables the fence triggers of {@code database}'s tables (the diagnostic side only). */
    private static void unfence(PgServer server, String database) throws SQLException {
        try (Connection c = server.connect(database); Statement st = c.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = 'redundancy_native_fence'")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            for (String t : tables) {
                st.execute("ALTER TABLE " + t + " DISABLE TRIGGER redundancy_native_fence");
            }
        }
    }

    /** The relay counts a batch just after deleting it from the journal: wait until the count stops moving. */
    private static void settle(Unit u) throws InterruptedException {
        long last = -1;
        for (int i = 0; i < 25; i++) {
            long now = u.mirror().stats().appliedTotal();
            if (now == last) {
                return;
            }
            last = now;
            Thread.sleep(20);
        }
    }

    private void awaitDrained(Unit u, Duration timeout) {
        if (u.mirror().pending(Node.PRIMARY) != 0 && !u.mirror().awaitDrainedTo(Node.SECONDARY, timeout)) {
            System.out.println("warning: side " + u.side().id() + " still has " + u.mirror().pending(Node.PRIMARY)
                    + " journal entries after a further " + timeout.toSeconds() + " s; measuring on top of them");
        }
    }

    /** Empties the active side's lag ring often enough that it never wraps (8192 entries). */
    private void sampleLag() {
        while (true) {
            LagSampler s = activeSampler;
            if (s != null) {
                s.take();
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static void log(Workload w, String phase, Slice s) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-6s %-8s %-5s %8.1f tx/s", w.id(), phase, s.side().id(),
                s.load().txPerSecond()));
        if (s.targetRate() > 0) {
            b.append(String.format(Locale.ROOT, " (cap %.1f)", s.targetRate()));
        }
        if (s.side().probed()) {
            b.append(String.format(Locale.ROOT, "  backlog %d bytes  drain %s  lag p99 %d ms", s.backlog(),
                    s.drainMs() < 0 ? "timeout" : s.drainMs() + " ms", s.lagP99()));
        }
        if (s.side().mirrored()) {
            b.append(String.format(Locale.ROOT, "  applied %6.1f/s  backlog %5d  drain %s  lag p99 %d ms",
                    s.appliedDuringLoad() / s.load().seconds(), s.backlog(), s.drainMs() < 0 ? "timeout" : s.drainMs() + " ms", s.lagP99()));
        }
        CpuMeter.Reading c = s.cpu();
        long writers = s.load().writerCpuNanos();
        b.append(String.format(Locale.ROOT, "  cpu s: jvm %.2f (writers %.2f, mirror %.2f, other %.2f, gc %.2f, jit %.2f) pri %.2f sec %.2f",
                c.jvm() / 1e9, writers / 1e9, c.mirrorThreads() / 1e9, c.otherThreads() / 1e9, c.gc() / 1e9, c.jit() / 1e9,
                c.primary() / 1e9, c.secondary() / 1e9));
        if (s.load().failed() > 0) {
            b.append("  FAILED ").append(s.load().failed()).append(" iterations, first: ").append(s.load().firstError());
        }
        System.out.println(b);
    }

    static double median(double[] v) {
        if (v.length == 0) {
            return Double.NaN;
        }
        double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    /** The {@code q} quantile of {@code v} (nearest rank, as the plugin's own p99). */
    static long percentile(long[] v, double q) {
        if (v.length == 0) {
            return 0;
        }
        long[] c = v.clone();
        Arrays.sort(c);
        return c[Math.max(0, Math.min(c.length - 1, (int) Math.ceil(c.length * q) - 1))];
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String serverSettings(PgServer server) {
        StringBuilder b = new StringBuilder("PostgreSQL");
        try (Connection c = server.connect(); Statement st = c.createStatement()) {
            for (String name : List.of("server_version", "fsync", "synchronous_commit", "wal_level", "full_page_writes", "shared_buffers")) {
                try (ResultSet rs = st.executeQuery("SHOW " + name)) {
                    rs.next();
                    b.append(name.equals("server_version") ? " " : ", " + name + "=").append(rs.getString(1));
                }
            }
        } catch (SQLException e) {
            b.append(" (settings unknown: ").append(e.getMessage()).append(')');
        }
        return b.toString();
    }

    private static String gitCommit() {
        try {
            Process p = new ProcessBuilder("git", "log", "-1", "--format=%h %cs").redirectErrorStream(true).start();
            String head = new String(p.getInputStream().readAllBytes()).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return "commit unknown";
            }
            Process d = new ProcessBuilder("git", "status", "--porcelain", "--untracked-files=no").redirectErrorStream(true).start();
            boolean dirty = !new String(d.getInputStream().readAllBytes()).isBlank();
            d.waitFor(10, TimeUnit.SECONDS);
            return "commit " + head + (dirty ? " + uncommitted changes" : "");
        } catch (IOException e) {
            return "commit unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "commit unknown";
        }
    }
}
