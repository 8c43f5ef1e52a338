package io.dbredundancy.benchmarks.mirror;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dbredundancy.hibernate.RedundancySettings;
import io.dbredundancy.hibernate.mirror.MirrorRuntime;
import io.dbredundancy.hibernate.mirror.MirrorStats;
import io.dbredundancy.hibernate.testbed.PgServer;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import org.hibernate.SessionFactory;
import org.hibernate.jpa.HibernatePersistenceConfiguration;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The mirror's cost, one run: the same write workload (N threads, each iteration inserts a small versioned entity in
 * one transaction and updates it in a second) on plain Hibernate + HikariCP on one database, the plugin with
 * {@code mirror.mode=off} (routing only), {@code async} and {@code sync}; committed transactions per second side by side, rounds
 * alternating. Then the async side at half its measured maximum rate: the mirror lag's p99 (commit to applied on the
 * secondary). Two real PostgreSQL servers from the test bed.
 *
 * <p>Options ({@code --name=value}): {@code seconds} (15 per measurement), {@code rounds} (2), {@code threads} (4),
 * {@code warmup-seconds} (3), {@code pool} (10).
 */
public final class MirrorBenchmark {

    static final String DB = "mirrorbench";

    private final int seconds;
    private final int rounds;
    private final int threads;
    private final int warmup;
    private final int pool;
    private PostgresPair pg;

    private MirrorBenchmark(Map<String, String> o) {
        seconds = Integer.parseInt(o.getOrDefault("seconds", "15"));
        rounds = Integer.parseInt(o.getOrDefault("rounds", "2"));
        threads = Integer.parseInt(o.getOrDefault("threads", "4"));
        warmup = Integer.parseInt(o.getOrDefault("warmup-seconds", "3"));
        pool = Integer.parseInt(o.getOrDefault("pool", "10"));
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>();
        for (String a : args) {
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("options look like --seconds=15; got: " + a);
            }
            String[] kv = a.substring(2).split("=", 2);
            options.put(kv[0], kv.length > 1 ? kv[1] : "true");
        }
        new MirrorBenchmark(options).run();
        System.exit(0);
    }

    enum Side { PLAIN, OFF, ASYNC, SYNC }

    private void run() throws Exception {
        try (PostgresPair pair = new PostgresPair().start()) {
            pg = pair;
            for (PgServer s : List.of(pg.primary(), pg.secondary())) {
                s.createDatabase(DB);
                try (Connection c = s.connect(DB); Statement st = c.createStatement()) {
                    st.execute("CREATE TABLE benchitem (id bigint PRIMARY KEY, version int NOT NULL, name varchar(255), qty int NOT NULL)");
                    st.execute("CREATE SEQUENCE benchitem_seq INCREMENT BY 50");
                }
            }
            Map<Side, List<Double>> tps = new LinkedHashMap<>();
            for (Side side : Side.values()) {
                tps.put(side, new ArrayList<>());
            }
            for (int r = 0; r < rounds; r++) {
                for (Side side : Side.values()) {
                    try (EntityManagerFactory emf = open(side)) {
                        load(emf, warmup, 0);
                        double t = load(emf, seconds, 0);
                        tps.get(side).add(t);
                        System.out.printf(Locale.ROOT, "round %d %-6s %8.1f tx/s%n", r + 1, side, t);
                        if (side != Side.PLAIN) {
                            awaitDrained(emf);
                        }
                    }
                }
            }
            double plain = best(tps.get(Side.PLAIN));
            double off = best(tps.get(Side.OFF));
            double async = best(tps.get(Side.ASYNC));
            double sync = best(tps.get(Side.SYNC));
            long p99;
                double halfRate = async / 2;
            try (EntityManagerFactory emf = open(Side.ASYNC)) {
                MirrorRuntime m = MirrorRuntime.of(emf.unwrap(SessionFactory.class));
                load(emf, warmup, halfRate);
                m.resetLagSamples();
                double achieved = load(emf, seconds, halfRate);
                awaitDrained(emf);
                MirrorStats st = m.stats();
                p99 = st.lagP99Ms();
                System.out.printf(Locale.ROOT, "half load: target %.1f tx/s, achieved %.1f tx/s, %d entries applied%n",
                        halfRate, achieved, st.appliedTotal());
            }
            System.out.println();
            System.out.println("| workload (" + threads + " threads, insert + update of a small entity) | tx/s (best of "
                    + rounds + ") | vs plain |");
            System.out.println("|---|---:|---:|");
            System.out.printf(Locale.ROOT, "| plain Hibernate + HikariCP, one database | %.1f | 100%% |%n", plain);
            System.out.printf(Locale.ROOT, "| plugin, mirror.mode=off (routing only) | %.1f | %.0f%% |%n", off, 100 * off / plain);
            System.out.printf(Locale.ROOT, "| plugin, mirror.mode=async | %.1f | %.0f%% |%n", async, 100 * async / plain);
            System.out.printf(Locale.ROOT, "| plugin, mirror.mode=sync | %.1f | %.0f%% |%n", sync, 100 * sync / plain);
            System.out.printf(Locale.ROOT, "%nmirror lag p99 at half of the async maximum (%.1f tx/s): %d ms%n", halfRate, p99);
        }
    }

    private static double best(List<Double> l) {
        return l.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    }

    private EntityManagerFactory open(Side side) {
        HibernatePersistenceConfiguration cfg = new HibernatePersistenceConfiguration("mirror-bench-" + side)
                .managedClass(BenchItem.class)
                .property("hibernate.hbm2ddl.auto", "none");
        if (side == Side.PLAIN) {
            HikariConfig hc = new HikariConfig();
            hc.setJdbcUrl(pg.primary().jdbcUrl(DB));
            hc.setUsername(pg.primary().user());
            hc.setPassword(pg.primary().password());
            hc.setMaximumPoolSize(pool);
            hc.setPoolName("bench-plain");
            cfg.property("hibernate.connection.datasource", new HikariDataSource(hc));
        } else {
            cfg.property("hibernate.multi_tenant_connection_provider", "io.dbredundancy.hibernate.routing.RedundantConnectionProvider")
                    .property("hibernate.tenant_identifier_resolver", "io.dbredundancy.hibernate.routing.ActiveNodeResolver")
                    .property(RedundancySettings.PRIMARY_URL, pg.primary().jdbcUrl(DB))
                    .property(RedundancySettings.PRIMARY_USER, pg.primary().user())
                    .property(RedundancySettings.PRIMARY_PASSWORD, pg.primary().password())
                    .property(RedundancySettings.SECONDARY_URL, pg.secondary().jdbcUrl(DB))
                    .property(RedundancySettings.SECONDARY_USER, pg.secondary().user())
                    .property(RedundancySettings.SECONDARY_PASSWORD, pg.secondary().password())
                    .property(RedundancySettings.POOL_MAX_SIZE, String.valueOf(pool))
                    .property(RedundancySettings.MIRROR_MODE, side == Side.SYNC ? "sync" : side == Side.OFF ? "off" : "async");
        }
        return cfg.createEntityManagerFactory();
    }

    private static void awaitDrained(EntityManagerFactory emf) {
        MirrorRuntime m = MirrorRuntime.of(emf.unwrap(SessionFactory.class));
        if (m != null) {
            m.awaitDrainedTo(io.dbredundancy.hibernate.Node.SECONDARY, java.time.Duration.ofSeconds(60));
        }
    }

    /** Runs the workload for {@code secs}; {@code rate} > 0 caps it (transactions per second, all threads). */
    private double load(EntityManagerFactory emf, int secs, double rate) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong committed = new AtomicLong();
        long intervalNanos = rate > 0 ? (long) (1e9 * threads * 2 / rate) : 0; // per thread, per iteration (2 tx)
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread w = new Thread(() -> {
                long next = System.nanoTime();
                while (!stop.get()) {
                    try {
                        EntityManager em = emf.createEntityManager();
                        em.getTransaction().begin();
                        BenchItem item = new BenchItem();
                        item.name = "item";
                        item.qty = 1;
                        em.persist(item);
                        em.getTransaction().commit();
                        em.close();
                        committed.incrementAndGet();
                        em = emf.createEntityManager();
                        em.getTransaction().begin();
                        em.find(BenchItem.class, item.id).qty = 2;
                        em.getTransaction().commit();
                        em.close();
                        committed.incrementAndGet();
                    } catch (RuntimeException e) {
                        System.err.println("write failed: " + e);
                    }
                    if (intervalNanos > 0) {
                        next += intervalNanos;
                        long sleep = next - System.nanoTime();
                        if (sleep > 0) {
                            try {
                                Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    }
                }
            }, "bench-writer-" + t);
            workers.add(w);
        }
        long start = System.nanoTime();
        workers.forEach(Thread::start);
        Thread.sleep(secs * 1000L);
        long n = committed.get();
        double elapsed = (System.nanoTime() - start) / 1e9;
        stop.set(true);
        for (Thread w : workers) {
            w.join(10_000);
        }
        return n / elapsed;
    }
}
