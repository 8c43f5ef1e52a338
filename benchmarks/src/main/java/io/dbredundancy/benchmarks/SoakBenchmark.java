package io.dbredundancy.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.dbredundancy.hibernate.ActiveNode;
import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.SwitchEvent;
import io.dbredundancy.hibernate.SwitchKind;
import io.dbredundancy.hibernate.mirror.MirrorRuntime;
import io.dbredundancy.hibernate.routing.RuntimeLookup;
import io.dbredundancy.hibernate.testbed.LinkProxy;
import io.dbredundancy.hibernate.testbed.PgServer;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import jakarta.persistence.EntityManagerFactory;
import org.hibernate.SessionFactory;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * The soak of issue 7: one persistence unit with the plugin ({@code mirror.mode=async}, as users run it), writer and
 * reader threads running the whole time, and a long series of switches: mostly manual {@code failover()} /
 * {@code failback()} alternating, and every {@code fault-every}-th a real fault (the primary's link cut by a proxy,
 * then restored) so that the automatic failover and failback, the abort of connections in use and the pool eviction
 * run too. Before (after a warm-up) and after (after the last switch), with the load paused and after
 * {@code System.gc()}: live threads (the plugin's by the {@code db-redundancy-} prefix), server connections of the
 * app's user on each database ({@code pg_stat_activity}), the HikariCP pools, heap and metaspace. Goal: flat. Then
 * whether any application thread is left blocked; the exit code is 2 when one is (or a deadlock is found).
 *
 * <p>Options ({@code --name=value}): {@code switches} (system property {@code soak.switches}, 1000),
 * {@code writers} (4), {@code readers} (4), {@code fault-every} (50), {@code pace-ms} (10, each thread's pause
 * between transactions), {@code pool} (10), {@code warmup-switches} (20), {@code mirror} (async),
 * {@code max-minutes} (14: stops early, saying so), {@code stall-ms} (5000).
 */
public final class SoakBenchmark {

    private static final String THREAD_PREFIX = "db-redundancy-";
    private static final String APP_THREAD_PREFIX = "drill-soak";

    private final int switches;
    private final int writers;
    private final int readers;
    private final int faultEvery;
    private final long paceMs;
    private final int pool;
    private final int warmupSwitches;
    private final String mirror;
    private final long maxNanos;
    private final long stallMs;

    private PostgresPair pair;
    private EntityManagerFactory emf;
    private Redundancy redundancy;
    private WriteLoad writeLoad;
    private WriteLoad readLoad;
    private final AtomicLong switchEvents = new AtomicLong();
    private final Map<SwitchKind, AtomicLong> eventKinds = new EnumMap<>(SwitchKind.class);
    private long manualRefusals;
    private final Map<String, Long> refusalKinds = new TreeMap<>();
    private final List<String> stalls = new ArrayList<>();
    private long longestSwitchMs;
    private long longestFaultCycleMs;
    private volatile boolean inFaultCycle;
    private boolean loadPaused;
    private int gatePauses;
    /** When each switch happened and its kind, to place a duplicate key among them (allocated up front: no growth). */
    private final long[] switchAtMillis;
    private final byte[] switchKinds;
    private final java.util.concurrent.atomic.AtomicInteger switchCount = new java.util.concurrent.atomic.AtomicInteger();
    private final AtomicLong unexpected = new AtomicLong();

    private SoakBenchmark(Map<String, String> o) {
        switches = Integer.parseInt(o.getOrDefault("switches", System.getProperty("soak.switches", "1000")));
        writers = Integer.parseInt(o.getOrDefault("writers", "4"));
        readers = Integer.parseInt(o.getOrDefault("readers", "4"));
        faultEvery = Integer.parseInt(o.getOrDefault("fault-every", "50"));
        paceMs = Long.parseLong(o.getOrDefault("pace-ms", "10"));
        pool = Integer.parseInt(o.getOrDefault("pool", "10"));
        warmupSwitches = Integer.parseInt(o.getOrDefault("warmup-switches", "20"));
        mirror = o.getOrDefault("mirror", "async");
        maxNanos = Duration.ofMinutes(Long.parseLong(o.getOrDefault("max-minutes", "14"))).toNanos();
        stallMs = Long.parseLong(o.getOrDefault("stall-ms", "5000"));
        switchAtMillis = new long[switches + warmupSwitches + 1_000];
        switchKinds = new byte[switchAtMillis.length];
        for (SwitchKind k : SwitchKind.values()) {
            eventKinds.put(k, new AtomicLong());
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = Options.parse(args, "--switches=1000");
        int code = new SoakBenchmark(options).run();
        System.exit(code);
    }

    /** What is measured before and after. */
    record Snapshot(int liveThreads, int pluginThreads, int daemonThreads, Map<String, Integer> threadGroups,
                    Map<Node, Map<String, Integer>> serverConnections, Map<Node, int[]> pools,
                    long heapUsed, long metaspaceUsed, int loadedClasses) {

        int serverTotal(Node n) {
            return serverConnections.get(n).values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    private int run() throws Exception {
        System.out.printf("SoakBenchmark: %d switches (a real fault every %d), %d writer + %d reader threads paced %d ms,"
                        + " pool max %d, mirror.mode=%s, %s, %d cores, load average %.1f%n",
                switches, faultEvery, writers, readers, paceMs, pool, mirror, Runtime.version(),
                Runtime.getRuntime().availableProcessors(), loadAverage());
        try (PostgresPair p = new PostgresPair().start()) {
            pair = p;
            FailoverDrill.prepare(pair.primary(), 1_000_000L);
            FailoverDrill.prepare(pair.secondary(), 1_000_000_000_000L);
            LinkProxy link = pair.primaryProxy();
            emf = Side.plugin(link.jdbcUrl(FailoverDrill.DB), pair.secondary().jdbcUrl(FailoverDrill.DB), pool,
                    Map.of("hibernate.redundancy.mirror.mode", mirror));
            redundancy = Redundancy.of(emf);
            redundancy.addListener(this::onSwitch);
            writeLoad = new WriteLoad(emf, writers, WriteLoad.Kind.WRITE, false, FailoverDrill.SEED_ROWS, "soak-w");
            readLoad = new WriteLoad(emf, readers, WriteLoad.Kind.READ, false, FailoverDrill.SEED_ROWS, "soak-r");
            writeLoad.pace(paceMs);
            readLoad.pace(paceMs);
            int code;
            try {
                code = soak();
            } finally {
                writeLoad.requestStop();
                readLoad.requestStop();
                link.restore();
            }
            boolean joined = writeLoad.stopAndJoin(Duration.ofSeconds(30)) & readLoad.stopAndJoin(Duration.ofSeconds(30));
            if (!joined) {
                System.out.println("STUCK: application threads did not finish within 30 s of the stop request");
                code = 2;
            }
            emf.close();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!pluginThreads().isEmpty() && System.nanoTime() < deadline) {
                WriteLoad.sleep(100);
            }
            List<String> left = pluginThreads();
            System.out.println("plugin threads alive 10 s after emf.close(): " + (left.isEmpty() ? "none" : left));
            return code;
        }
    }

    private int soak() throws Exception {
        long start = System.nanoTime();
        WriteLoad.sleep(3_000);
        awaitProgress("start");
        // warm-up: JIT, both pools, the relay in both directions, a fault cycle's threads
        for (int i = 1; i <= warmupSwitches; ) {
            i += i == warmupSwitches / 2 ? faultCycle() : manualSwitch();
        }
        settle();
        Snapshot before = snapshot();
        long errorsBefore = failed();
        long commitsBefore = committed();
        long eventsBefore = switchEvents.get();
        System.out.printf("warm-up done in %d s: %d switches; measuring %d switches%n",
                (System.nanoTime() - start) / 1_000_000_000, eventsBefore, switches);

        long t0 = System.nanoTime();
        int done = 0;
        int faults = 0;
        int nextReport = 100;
        boolean timeUp = false;
        while (done < switches) {
            if (System.nanoTime() - t0 > maxNanos) {
                timeUp = true;
                break;
            }
            boolean fault = faultEvery > 0 && (done + 2) / faultEvery > done / faultEvery && done + 2 <= switches;
            if (fault) {
                done += faultCycle();
                faults++;
            } else {
                done += manualSwitch();
            }
            if (done >= nextReport) {
                nextReport += 100;
                double s = (System.nanoTime() - t0) / 1e9;
                System.out.printf(Locale.ROOT, "  %4d switches in %5.1f s (%.2f/s, %d faults): %d commits, %d failed"
                                + " attempts, %d threads (%d plugin), server connections %d + %d, heap %d MB (no GC),"
                                + " load average %.1f%n",
                        done, s, done / s, faults, committed() - commitsBefore, failed() - errorsBefore,
                        Thread.activeCount(), pluginThreads().size(), total(serverConnections(pair.primary())),
                        total(serverConnections(pair.secondary())),
                        ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20, loadAverage());
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long events = switchEvents.get() - eventsBefore;
        long errors = failed() - errorsBefore;
        long commits = committed() - commitsBefore;
        settle();
        Snapshot after = snapshot();

        List<String> stuck = stuckThreads();

        System.out.println();
        if (timeUp) {
            System.out.printf("STOPPED by the time bound (--max-minutes) after %d of %d switches%n", done, switches);
        }
        System.out.printf(Locale.ROOT, "%d switches in %.1f s (%.2f switches/s): %d manual, %d in %d fault cycles"
                        + " (link cut, automatic failover, restore, automatic failback); %d switch events seen by a"
                        + " listener; longest manual switch incl. first progress %d ms, longest fault cycle %d ms%n",
                done, seconds, done / seconds, done - 2 * faults, 2 * faults, faults, events, longestSwitchMs,
                longestFaultCycleMs);
        System.out.printf("events by kind (whole run): %s; switches not caused by this program: %d%n", kindsLine(),
                unexpected.get());
        System.out.printf("manual switches refused and retried: %d %s; load paused for a failback refused over 10 s:"
                + " %d time(s)%n", manualRefusals, refusalKinds, gatePauses);
        System.out.printf(Locale.ROOT, "load: %d commits, %d failed attempts (%.2f per switch; transient errors around"
                + " switches are expected, the application retries)%n", commits, errors, errors / (double) Math.max(1, done));
        Map<String, Long> merged = new TreeMap<>();
        writeLoad.errorKinds().forEach(en -> merged.merge("writers: " + en.getKey(), en.getValue(), Long::sum));
        readLoad.errorKinds().forEach(en -> merged.merge("readers: " + en.getKey(), en.getValue(), Long::sum));
        List<Map.Entry<String, Long>> kinds = new ArrayList<>(merged.entrySet());
        kinds.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        for (Map.Entry<String, Long> k : kinds.subList(0, Math.min(8, kinds.size()))) {
            System.out.printf("    %6d  %s%n", k.getValue(), k.getKey());
        }
        printDuplicateKeys();
        System.out.println();
        printTable(before, after);
        System.out.println();
        System.out.println("stalls (no progress of the load within " + stallMs + " ms of a switch): "
                + (stalls.isEmpty() ? "none" : stalls.size()));
        stalls.stream().limit(5).forEach(s -> System.out.println("    " + s));
        System.out.println("application threads left blocked or stuck at the end: " + (stuck.isEmpty() ? "none" : stuck.size()));
        stuck.forEach(s -> System.out.println("    " + s));
        return stuck.isEmpty() ? 0 : 2;
    }

    /**
     * For the first duplicate-key failures: the row that already held the id, on each database (which writer, its
     * counter, when), next to the failed attempt, and the switches around it.
     */
    private void printDuplicateKeys() {
        List<WriteLoad.ErrorSample> samples = writeLoad.duplicateKeySamples();
        if (samples.isEmpty()) {
            return;
        }
        System.out.println("duplicate keys, first " + samples.size() + " (failed attempt: writer, its n, time; the row"
                + " already there on each database: writer, n, created_at):");
        java.util.regex.Pattern id = java.util.regex.Pattern.compile("\\(id\\)=\\((\\d+)\\)");
        for (WriteLoad.ErrorSample e : samples) {
            java.util.regex.Matcher m = id.matcher(e.message());
            StringBuilder b = new StringBuilder("    w" + e.worker() + " n=" + e.n() + " at " + e.at() + ": ");
            if (!m.find()) {
                System.out.println(b.append(e.message().replace('\n', ' ')));
                continue;
            }
            long key = Long.parseLong(m.group(1));
            b.append("id ").append(key);
            for (Node n : Node.values()) {
                PgServer server = n == Node.PRIMARY ? pair.primary() : pair.secondary();
                try (Connection c = server.connect(FailoverDrill.DB);
                     java.sql.PreparedStatement ps = c.prepareStatement(
                             "SELECT worker, n, created_at FROM drill_event WHERE id = ?")) {
                    ps.setLong(1, key);
                    try (ResultSet rs = ps.executeQuery()) {
                        b.append("; ").append(n.id()).append(": ").append(rs.next()
                                ? "w" + rs.getInt(1) + " n=" + rs.getLong(2) + " at " + rs.getTimestamp(3).toInstant()
                                : "absent");
                    }
                } catch (Exception ex) {
                    b.append("; ").append(n.id()).append(": ").append(ex.getMessage());
                }
            }
            b.append("; switches around: ");
            for (int i = 0; i < Math.min(switchCount.get(), switchAtMillis.length); i++) {
                if (Math.abs(switchAtMillis[i] - e.at().toEpochMilli()) < 1_500) {
                    b.append(SwitchKind.values()[switchKinds[i]]).append('@')
                            .append(java.time.Instant.ofEpochMilli(switchAtMillis[i])).append(' ');
                }
            }
            System.out.println(b);
        }
    }

    private void onSwitch(SwitchEvent e) {
        int slot = switchCount.getAndIncrement();
        if (slot < switchAtMillis.length) {
            switchAtMillis[slot] = e.time().toEpochMilli();
            switchKinds[slot] = (byte) e.kind().ordinal();
        }
        switchEvents.incrementAndGet();
        eventKinds.get(e.kind()).incrementAndGet();
        if (e.kind() != SwitchKind.MANUAL_FAILOVER && e.kind() != SwitchKind.MANUAL_FAILBACK && !inFaultCycle) {
            // not caused by this program: say what happened and whether the servers run (off the health thread)
            unexpected.incrementAndGet();
            Thread report = new Thread(() -> {
                try {
                    System.out.printf("UNEXPECTED switch %s -> %s (%s): %s; primary"
                            + " server running %s, secondary server running %s%n%s%n", e.from(), e.to(), e.kind(),
                    e.reason(), pair.primary().isRunning(), pair.secondary().isRunning(),
                    e.to() == ActiveNode.NONE ? "secondary server log:\n" + pair.secondary().logTail() : "");
                } catch (RuntimeException closing) {
                    System.out.printf("UNEXPECTED switch %s -> %s (%s): %s (servers closing)%n", e.from(), e.to(),
                            e.kind(), e.reason());
                }
            }, "soak-report");
            report.setDaemon(true);
            report.start();
        }
    }

    private String kindsLine() {
        StringBuilder b = new StringBuilder();
        eventKinds.forEach((k, v) -> {
            if (v.get() > 0) {
                b.append(b.length() == 0 ? "" : ", ").append(k).append(' ').append(v.get());
            }
        });
        return b.toString();
    }

    private String active() {
        return redundancy.status().activeDatabase();
    }

    /** One manual switch to the other node; retried while refused (failback gate: the journal to drain). */
    private int manualSwitch() {
        long t = System.nanoTime();
        long deadline = t + Duration.ofSeconds(60).toNanos();
        boolean toSecondary;
        while (true) {
            String from = active();
            toSecondary = "primary".equals(from);
            try {
                if (!"primary".equals(from) && !"secondary".equals(from)) {
                    throw new IllegalStateException("no database serves (" + from + ")");
                }
                SwitchEvent e = toSecondary ? redundancy.failover() : redundancy.failback();
                if (e == null) {
                    throw new IllegalStateException("no switch: the target serves already (an automatic switch came first)");
                }
                break;
            } catch (IllegalStateException refused) {
                manualRefusals++;
                String kind = String.valueOf(refused.getMessage()).replaceAll("[0-9]+", "N");
                kind = kind.substring(0, Math.min(60, kind.length()));
                refusalKinds.merge(kind, 1L, Long::sum);
                if (System.nanoTime() > deadline) {
                    resumeLoad();
                    throw new IllegalStateException("manual switch refused for 60 s: " + refused.getMessage(), refused);
                }
                if (!loadPaused && System.nanoTime() - t > Duration.ofSeconds(10).toNanos()) {
                    // the load outruns the relay on a loaded machine and the failback gate stays shut: let it drain
                    loadPaused = true;
                    gatePauses++;
                    writeLoad.pause();
                    readLoad.pause();
                }
                WriteLoad.sleep(20);
            }
        }
        resumeLoad();
        awaitProgress("manual " + (toSecondary ? "failover" : "failback"));
        longestSwitchMs = Math.max(longestSwitchMs, (System.nanoTime() - t) / 1_000_000);
        return 1;
    }

    private void resumeLoad() {
        if (loadPaused) {
            loadPaused = false;
            writeLoad.resume();
            readLoad.resume();
        }
    }

    /** Cut of the primary's link, automatic failover, restore, automatic failback: two switches. */
    private int faultCycle() {
        int extra = 0;
        if (!"primary".equals(active())) {
            extra = manualSwitch();
        }
        long t = System.nanoTime();
        LinkProxy link = pair.primaryProxy();
        inFaultCycle = true;
        long failbacksBefore = eventKinds.get(SwitchKind.FAILBACK).get() + eventKinds.get(SwitchKind.RECOVERED).get();
        link.cut();
        try {
            await("automatic failover after the link cut", 30, () -> "secondary".equals(active()));
            awaitProgress("automatic failover");
        } finally {
            link.restore();
        }
        try {
            await("automatic failback after the link came back", 120, () -> "primary".equals(active()));
            // the state is published before the listeners run: let the listener hear the failback as this cycle's
            await("the failback event", 10, () -> eventKinds.get(SwitchKind.FAILBACK).get()
                    + eventKinds.get(SwitchKind.RECOVERED).get() > failbacksBefore);
        } finally {
            inFaultCycle = false;
        }
        awaitProgress("automatic failback");
        longestFaultCycleMs = Math.max(longestFaultCycleMs, (System.nanoTime() - t) / 1_000_000);
        return 2 + extra;
    }

    private static void await(String what, int seconds, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no " + what + " within " + seconds + " s");
            }
            WriteLoad.sleep(10);
        }
    }

    /**
     * Waits until every writer and every reader has committed once more since now (each thread got a session on the
     * node that serves now); notes a stall, with the threads' stacks, when that takes longer than stall-ms.
     */
    private void awaitProgress(String after) {
        long t = System.nanoTime();
        long[] w0 = writeLoad.committedByWorker();
        long[] r0 = readLoad.committedByWorker();
        boolean noted = false;
        long hardDeadline = t + Duration.ofSeconds(60).toNanos();
        while (true) {
            List<String> behind = behind(writeLoad, w0, "w");
            behind.addAll(behind(readLoad, r0, "r"));
            if (behind.isEmpty()) {
                return;
            }
            long ms = (System.nanoTime() - t) / 1_000_000;
            if (!noted && ms > stallMs) {
                noted = true;
                stalls.add(String.format("after %s (switch events so far %d): threads %s without a commit for %d ms;"
                        + " %s", after, switchEvents.get(), behind, ms, stacks(behind)));
            }
            if (System.nanoTime() > hardDeadline) {
                return; // reported as a stall; the final check says whether it is left stuck
            }
            WriteLoad.sleep(5);
        }
    }

    private static List<String> behind(WriteLoad load, long[] before, String tag) {
        long[] now = load.committedByWorker();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < now.length; i++) {
            if (now[i] <= before[i]) {
                out.add(tag + i);
            }
        }
        return out;
    }

    private String stacks(List<String> behind) {
        StringBuilder b = new StringBuilder();
        for (String tagged : behind) {
            WriteLoad load = tagged.startsWith("w") ? writeLoad : readLoad;
            int i = Integer.parseInt(tagged.substring(1));
            Thread th = load.threads().get(i);
            StackTraceElement[] st = th.getStackTrace();
            b.append(th.getName()).append(' ').append(th.getState()).append(" in attempt for ")
                    .append(load.inFlightMs(i)).append(" ms at ");
            for (int k = 0; k < Math.min(6, st.length); k++) {
                b.append(k == 0 ? "" : " < ").append(st[k]);
            }
            b.append("; ");
        }
        return b.toString();
    }

    /** Healthy on the primary, both journals drained, load running 3 s on the primary. */
    private void settle() {
        BooleanSupplier healthyOnPrimary = () -> "healthy".equals(redundancy.status().status()) && "primary".equals(active());
        try {
            await("healthy status on the primary", 30, healthyOnPrimary);
        } catch (IllegalStateException notYet) {
            // an automatic failover of its own (a probe time-out on a loaded machine) and a failback gate that does
            // not open while the load outruns the relay: pause the load, let the journal drain, fail back by hand
            System.out.println("settle: not healthy on the primary after 30 s (" + redundancy.status().toJson()
                    + "); pausing the load and failing back");
            writeLoad.pause();
            readLoad.pause();
            try {
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                while (!healthyOnPrimary.getAsBoolean()) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("not healthy on the primary within 150 s: "
                                + redundancy.status().toJson());
                    }
                    if ("secondary".equals(active())) {
                        try {
                            redundancy.failback();
                        } catch (IllegalStateException refused) {
                            // the gate: wait for the relay
                        }
                    }
                    WriteLoad.sleep(200);
                }
            } finally {
                writeLoad.resume();
                readLoad.resume();
            }
        }
        MirrorRuntime m = MirrorRuntime.of(emf.unwrap(SessionFactory.class));
        WriteLoad.sleep(3_000);
        if (m != null) {
            writeLoad.pause();
            readLoad.pause();
            WriteLoad.sleep(200);
            m.awaitDrainedTo(Node.SECONDARY, Duration.ofSeconds(60));
            m.awaitDrainedTo(Node.PRIMARY, Duration.ofSeconds(60));
            writeLoad.resume();
            readLoad.resume();
            WriteLoad.sleep(1_000);
        }
    }

    /** With the load paused (threads idle between transactions) and after a full GC. */
    private Snapshot snapshot() throws Exception {
        writeLoad.pause();
        readLoad.pause();
        try {
            WriteLoad.sleep(500);
            for (int i = 0; i < 3; i++) {
                System.gc();
                WriteLoad.sleep(200);
            }
            MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
            long heap = mem.getHeapMemoryUsage().getUsed();
            long meta = ManagementFactory.getMemoryPoolMXBeans().stream()
                    .filter(pl -> pl.getName().equals("Metaspace")).mapToLong(pl -> pl.getUsage().getUsed()).sum();
            Map<String, Integer> groups = new TreeMap<>();
            int live = 0;
            int plugin = 0;
            int daemon = 0;
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (!t.isAlive()) {
                    continue;
                }
                live++;
                daemon += t.isDaemon() ? 1 : 0;
                plugin += t.getName().startsWith(THREAD_PREFIX) ? 1 : 0;
                groups.merge(t.getName().replaceAll("[0-9]+", "N"), 1, Integer::sum);
            }
            Map<Node, Map<String, Integer>> server = new EnumMap<>(Node.class);
            Map<Node, int[]> pools = new EnumMap<>(Node.class);
            for (Node n : Node.values()) {
                server.put(n, serverConnections(n == Node.PRIMARY ? pair.primary() : pair.secondary()));
                if (RuntimeLookup.require(emf).dataSource(n) instanceof HikariDataSource h && h.getHikariPoolMXBean() != null) {
                    HikariPoolMXBean b = h.getHikariPoolMXBean();
                    pools.put(n, new int[] {b.getActiveConnections(), b.getIdleConnections(), b.getTotalConnections(),
                            b.getThreadsAwaitingConnection()});
                }
            }
            return new Snapshot(live, plugin, daemon, groups, server, pools, heap, meta,
                    ManagementFactory.getClassLoadingMXBean().getLoadedClassCount());
        } finally {
            writeLoad.resume();
            readLoad.resume();
        }
    }

    /** Client backends of the app's user by application_name (the superuser's own connection is not counted). */
    private static Map<String, Integer> serverConnections(PgServer server) throws Exception {
        Map<String, Integer> out = new TreeMap<>();
        try (Connection c = server.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT coalesce(application_name, ''), count(*) FROM pg_stat_activity"
                     + " WHERE usename = '" + FailoverDrill.APP_USER + "' GROUP BY 1 ORDER BY 1")) {
            while (rs.next()) {
                out.put(rs.getString(1).isEmpty() ? "(none)" : rs.getString(1), rs.getInt(2));
            }
        }
        return out;
    }

    private void printTable(Snapshot b, Snapshot a) {
        System.out.println("Before (after the warm-up) and after the switches; load paused, after System.gc(). Goal: flat.");
        System.out.println();
        System.out.printf("| %-52s | %12s | %12s | %8s |%n", "measure", "before", "after", "change");
        System.out.println("|------------------------------------------------------|--------------|--------------|----------|");
        row("live threads", b.liveThreads(), a.liveThreads());
        row("  of them the plugin's (" + THREAD_PREFIX + "*)", b.pluginThreads(), a.pluginThreads());
        row("  daemon", b.daemonThreads(), a.daemonThreads());
        for (Node n : Node.values()) {
            row("server connections of user app on the " + n.id(), b.serverTotal(n), a.serverTotal(n));
        }
        for (Node n : Node.values()) {
            int[] pb = b.pools().get(n);
            int[] pa = a.pools().get(n);
            if (pb != null && pa != null) {
                System.out.printf("| %-52s | %12s | %12s | %8s |%n", "HikariCP " + n.id() + " active/idle/total/waiting",
                        pb[0] + "/" + pb[1] + "/" + pb[2] + "/" + pb[3], pa[0] + "/" + pa[1] + "/" + pa[2] + "/" + pa[3],
                        String.format("%+d", pa[2] - pb[2]));
            }
        }
        System.out.printf(Locale.ROOT, "| %-52s | %9.1f MB | %9.1f MB | %+6.1f MB |%n", "heap used after System.gc()",
                b.heapUsed() / 1048576.0, a.heapUsed() / 1048576.0, (a.heapUsed() - b.heapUsed()) / 1048576.0);
        System.out.printf(Locale.ROOT, "| %-52s | %9.1f MB | %9.1f MB | %+6.1f MB |%n", "metaspace used",
                b.metaspaceUsed() / 1048576.0, a.metaspaceUsed() / 1048576.0, (a.metaspaceUsed() - b.metaspaceUsed()) / 1048576.0);
        row("loaded classes", b.loadedClasses(), a.loadedClasses());
        System.out.println();
        for (Node n : Node.values()) {
            System.out.println("server connections on the " + n.id() + " by application_name: before "
                    + b.serverConnections().get(n) + ", after " + a.serverConnections().get(n));
        }
        Map<String, String> diff = new TreeMap<>();
        for (String k : b.threadGroups().keySet()) {
            if (!b.threadGroups().get(k).equals(a.threadGroups().get(k))) {
                diff.put(k, b.threadGroups().get(k) + " -> " + a.threadGroups().getOrDefault(k, 0));
            }
        }
        for (String k : a.threadGroups().keySet()) {
            if (!b.threadGroups().containsKey(k)) {
                diff.put(k, "0 -> " + a.threadGroups().get(k));
            }
        }
        System.out.println("thread names whose count changed (digits as N): " + (diff.isEmpty() ? "none" : diff));
        System.out.println("plugin threads after: " + a.threadGroups().entrySet().stream()
                .filter(en -> en.getKey().startsWith(THREAD_PREFIX)).map(en -> en.getKey() + " x" + en.getValue()).toList());
    }

    private static void row(String name, long before, long after) {
        System.out.printf("| %-52s | %12d | %12d | %+8d |%n", name, before, after, after - before);
    }

    /**
     * The final check, load running on the primary after the last switch: every application thread commits within
     * stall-ms; no thread of the JVM is deadlocked; no application thread sits BLOCKED (on a monitor) in three samples
     * a second apart, or in one transaction attempt for longer than stall-ms.
     */
    private List<String> stuckThreads() {
        List<String> stuck = new ArrayList<>();
        long[] w0 = writeLoad.committedByWorker();
        long[] r0 = readLoad.committedByWorker();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<Long, Integer> blockedSamples = new TreeMap<>();
        long end = System.nanoTime() + stallMs * 1_000_000;
        while (System.nanoTime() < end) {
            for (ThreadInfo ti : mx.dumpAllThreads(false, false)) {
                if (ti != null && ti.getThreadName().startsWith(APP_THREAD_PREFIX) && ti.getThreadState() == Thread.State.BLOCKED) {
                    blockedSamples.merge(ti.getThreadId(), 1, Integer::sum);
                }
            }
            WriteLoad.sleep(1_000);
        }
        List<String> behind = behind(writeLoad, w0, "w");
        behind.addAll(behind(readLoad, r0, "r"));
        if (!behind.isEmpty()) {
            stuck.add("no commit within " + stallMs + " ms after the last switch: " + behind + "; " + stacks(behind));
        }
        for (WriteLoad load : List.of(writeLoad, readLoad)) {
            for (int i = 0; i < load.threads().size(); i++) {
                if (load.inFlightMs(i) > stallMs) {
                    stuck.add(load.threads().get(i).getName() + " in one transaction attempt for " + load.inFlightMs(i) + " ms");
                }
            }
        }
        blockedSamples.forEach((id, n) -> {
            if (n >= 3) {
                ThreadInfo ti = mx.getThreadInfo(id, 8);
                stuck.add((ti == null ? "thread " + id : ti.getThreadName() + " on " + ti.getLockName()
                        + " held by " + ti.getLockOwnerName()) + ": BLOCKED in " + n + " samples a second apart");
            }
        });
        long[] dead = mx.findDeadlockedThreads();
        if (dead != null) {
            for (ThreadInfo ti : mx.getThreadInfo(dead, true, true)) {
                stuck.add("DEADLOCK: " + ti);
            }
        }
        return stuck;
    }

    private static List<String> pluginThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith(THREAD_PREFIX)).sorted().toList();
    }

    private static int total(Map<String, Integer> connections) {
        return connections.values().stream().mapToInt(Integer::intValue).sum();
    }

    private long committed() {
        return writeLoad.committed() + readLoad.committed();
    }

    private long failed() {
        return writeLoad.failed() + readLoad.failed();
    }

    private static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
