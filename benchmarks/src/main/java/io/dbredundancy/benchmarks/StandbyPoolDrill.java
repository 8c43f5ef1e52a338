package io.dbredundancy.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.dbredundancy.hibernate.ActiveNode;
import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.routing.RuntimeLookup;
import io.dbredundancy.hibernate.testbed.PgServer;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import jakarta.persistence.EntityManagerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * First commit after a kill -9 failover with the standby pool warm (the plugin's default: HikariCP keeps
 * {@code hibernate.redundancy.pool.min_idle} connections open to the secondary while the primary serves) against a
 * cold one ({@code pool.min_idle=0}: nothing borrows from the secondary's pool before the switch, so it holds no
 * connection and the first sessions there open them). The same 4-thread write load as {@link FailoverDrill}
 * ({@code mirror.mode=off}, so that nothing else uses the standby pool); variants interleaved within each
 * repetition; a fresh EntityManagerFactory per repetition on a healthy pair.
 *
 * <p>Per repetition: the standby pool's open connections right before the fault (checked: 0 for the cold variant);
 * fault to switch (the switch listener); switch to the first commit on the secondary; that first transaction's own
 * duration (EntityManager opened to commit returned: it includes borrowing, or opening, the connection); switch until
 * every thread has committed on the secondary.
 *
 * <p>Options ({@code --name=value}): {@code reps} (5), {@code threads} (4), {@code min-idle} (0,2,4: the variants),
 * {@code timeout-seconds} (60), {@code stacks} (prints where the application threads are when the switch is published).
 */
public final class StandbyPoolDrill {

    private final int reps;
    private final int threads;
    private final List<Integer> variants = new ArrayList<>();
    private final Duration timeout;
    private final boolean stacks;

    private StandbyPoolDrill(Map<String, String> o) {
        reps = Integer.parseInt(o.getOrDefault("reps", "5"));
        threads = Integer.parseInt(o.getOrDefault("threads", "4"));
        for (String v : o.getOrDefault("min-idle", "0,2,4").split(",")) {
            variants.add(Integer.parseInt(v.trim()));
        }
        timeout = Duration.ofSeconds(Long.parseLong(o.getOrDefault("timeout-seconds", "60")));
        stacks = o.containsKey("stacks");
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = Options.parse(args, "--reps=5");
        new StandbyPoolDrill(options).run();
        System.exit(0);
    }

    /** One repetition's figures, ms; -1 when it did not happen within the time-out. */
    record Rep(int standbyOpenAtFault, long faultToSwitch, long switchToFirstCommit, long firstTxMs,
               long switchToAllThreads, long faultToFirstCommit) {
    }

    private void run() throws Exception {
        System.out.printf(Locale.ROOT, "StandbyPoolDrill: kill -9 of the primary, %d writer threads, %d repetitions per"
                        + " variant, pool max %d, pool.min_idle variants %s, mirror.mode=off, %s, %d cores, load average %.1f%n",
                threads, reps, FailoverDrill.POOL_SIZE, variants, Runtime.version(),
                Runtime.getRuntime().availableProcessors(), loadAverage());
        Map<Integer, List<Rep>> results = new LinkedHashMap<>();
        try (PostgresPair pair = new PostgresPair().start()) {
            FailoverDrill.prepare(pair.primary(), 1_000_000L);
            FailoverDrill.prepare(pair.secondary(), 1_000_000_000_000L);
            for (int rep = 0; rep < reps; rep++) {
                List<Integer> order = new ArrayList<>(variants);
                if (rep % 2 == 1) {
                    java.util.Collections.reverse(order);
                }
                for (int minIdle : order) {
                    Rep r = rep(pair, minIdle);
                    results.computeIfAbsent(minIdle, k -> new ArrayList<>()).add(r);
                    System.out.printf(Locale.ROOT, "  rep %d %-22s standby connections open at the fault %d; fault->switch"
                                    + " %s, switch->first commit %s (that transaction %s), switch->all %d threads %s;"
                                    + " load average %.1f%n",
                            rep + 1, label(minIdle), r.standbyOpenAtFault(), ms(r.faultToSwitch()),
                            ms(r.switchToFirstCommit()), ms(r.firstTxMs()), threads, ms(r.switchToAllThreads()),
                            loadAverage());
                }
            }
        }
        System.out.println();
        System.out.printf("First commit on the secondary after kill -9 of the primary, %d repetitions: median / max%n", reps);
        System.out.println();
        StringBuilder head = new StringBuilder("| measure                                            ");
        StringBuilder rule = new StringBuilder("|----------------------------------------------------");
        for (int v : variants) {
            head.append(String.format("| %-24s ", label(v)));
            rule.append("|--------------------------");
        }
        System.out.println(head.append('|'));
        System.out.println(rule.append('|'));
        row("standby connections open at the fault", results, r -> (long) r.standbyOpenAtFault(), "");
        row("fault -> switch", results, Rep::faultToSwitch, " ms");
        row("switch -> first commit on the secondary", results, Rep::switchToFirstCommit, " ms");
        row("first transaction on the secondary (its own time)", results, Rep::firstTxMs, " ms");
        row("switch -> every thread committed there", results, Rep::switchToAllThreads, " ms");
        row("fault -> first commit on the secondary", results, Rep::faultToFirstCommit, " ms");
    }

    private static String label(int minIdle) {
        return minIdle == 0 ? "cold (min_idle=0)" : "warm (min_idle=" + minIdle + ")";
    }

    private void row(String name, Map<Integer, List<Rep>> results, java.util.function.ToLongFunction<Rep> f, String unit) {
        StringBuilder b = new StringBuilder(String.format("| %-50s ", name));
        for (int v : variants) {
            List<Long> values = results.getOrDefault(v, List.of()).stream().map(f::applyAsLong)
                    .map(x -> x < 0 ? Long.MAX_VALUE : x).sorted().toList();
            String cell = values.isEmpty() ? "n/a" : fmt(values.get(values.size() / 2), unit) + " / "
                    + fmt(values.get(values.size() - 1), unit);
            b.append(String.format("| %-24s ", cell));
        }
        System.out.println(b.append('|'));
    }

    private static String fmt(long v, String unit) {
        return v == Long.MAX_VALUE ? "none" : v + unit;
    }

    private static String ms(long v) {
        return v < 0 ? "NONE in time" : v + " ms";
    }

    private Rep rep(PostgresPair pair, int minIdle) {
        pair.heal();
        PgServer primary = pair.primary();
        PgServer secondary = pair.secondary();
        EntityManagerFactory emf = Side.plugin(primary.jdbcUrl(FailoverDrill.DB), secondary.jdbcUrl(FailoverDrill.DB),
                FailoverDrill.POOL_SIZE, Map.of("hibernate.redundancy.mirror.mode", "off",
                        "hibernate.redundancy.pool.min_idle", String.valueOf(minIdle)));
        Redundancy redundancy = Redundancy.of(emf);
        AtomicLong switchedAt = new AtomicLong();
        redundancy.addListener(e -> {
            if (e.to() == ActiveNode.SECONDARY) {
                switchedAt.compareAndSet(0, System.nanoTime());
            }
        });
        HikariPoolMXBean standby = ((HikariDataSource) RuntimeLookup.require(emf).dataSource(Node.SECONDARY)).getHikariPoolMXBean();
        WriteLoad load = new WriteLoad(emf, threads, WriteLoad.Kind.WRITE, true, FailoverDrill.SEED_ROWS, "standby-" + minIdle);
        if (stacks) {
            // where the application threads are when the switch is published (--stacks: the wait's diagnosis)
            redundancy.addListener(e -> {
                for (Thread t : load.threads()) {
                    StackTraceElement[] st = t.getStackTrace();
                    StringBuilder b = new StringBuilder("    at the switch: " + t.getName() + " " + t.getState() + ":");
                    for (int k = 0; k < Math.min(12, st.length); k++) {
                        if (!st[k].getClassName().startsWith("java.") && !st[k].getClassName().startsWith("jdk.")) {
                            b.append(' ').append(st[k].getClassName().replaceAll(".*\\.", "")).append('.')
                                    .append(st[k].getMethodName()).append(':').append(st[k].getLineNumber());
                        }
                    }
                    System.out.println(b);
                }
            });
        }
        try {
            long warmDeadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            WriteLoad.sleep(1_000);
            while ((load.commitsOn(primary.port()) < 200 || standby.getIdleConnections() < minIdle)
                    && System.nanoTime() < warmDeadline) {
                WriteLoad.sleep(20);
            }
            if (load.commitsOn(primary.port()) < 200) {
                throw new IllegalStateException("no steady load on the primary before the fault");
            }
            load.clearCommits();
            int open = standby.getTotalConnections();
            long t0 = System.nanoTime();
            primary.kill9();
            long deadline = t0 + timeout.toNanos();
            List<WriteLoad.Commit> there = List.of();
            while (System.nanoTime() < deadline) {
                there = load.commitsOn(secondary.port(), t0);
                Set<Integer> workers = new HashSet<>();
                there.forEach(c -> workers.add(c.worker()));
                if (workers.size() == threads) {
                    break;
                }
                WriteLoad.sleep(2);
            }
            long sw = switchedAt.get();
            long faultToSwitch = sw == 0 ? -1 : (sw - t0) / 1_000_000;
            if (there.isEmpty() || sw == 0) {
                return new Rep(open, faultToSwitch, -1, -1, -1, -1);
            }
            WriteLoad.Commit first = there.get(0);
            Set<Integer> workers = new HashSet<>();
            long all = -1;
            for (WriteLoad.Commit c : there) {
                workers.add(c.worker());
                if (workers.size() == threads) {
                    all = (c.nanos() - sw) / 1_000_000;
                    break;
                }
            }
            return new Rep(open, faultToSwitch, (first.nanos() - sw) / 1_000_000,
                    (first.nanos() - first.startNanos()) / 1_000_000, all, (first.nanos() - t0) / 1_000_000);
        } finally {
            load.requestStop();
            pair.heal();
            if (!load.stopAndJoin(Duration.ofSeconds(60))) {
                System.out.println("  WARNING: writer threads still blocked 60 s after the fault was healed");
            }
            emf.close();
        }
    }

    private static double loadAverage() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
