package io.dbredundancy.benchmarks;

import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.RedundancySettings;
import io.dbredundancy.hibernate.testbed.PgServer;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import org.hibernate.jpa.HibernatePersistenceConfiguration;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * The failover drill of {@code mirror.mode=native}: one unit with PostgreSQL's logical replication between two real
 * servers ({@code wal_level=logical}), 4 writer threads, and {@code reps} faults of each kind on the primary (kill -9
 * of all its processes, SIGSTOP of all of them), in an order drawn from the seed. Each cycle: the fault, the time to
 * the failover, a second of writes on the secondary, the primary restarted or thawed, the time until failback (which
 * waits until the secondary's changes are on the primary), a second of writes on the primary. At the end it reports
 * whether every acknowledged write is on both databases, whether both hold the same rows, and the duplicate keys seen.
 *
 * <pre>./mvnw -q -pl benchmarks -am package -DskipTests -Pnative-drill [-Dnative.args="--reps=5 --seed=7"]</pre>
 */
public final class NativeDrill {

    private static final String DB = "drill";

    public static void main(String[] args) throws Exception {
        int reps = 5;
        long seed = 7;
        for (String a : args) {
            if (a.startsWith("--reps=")) {
                reps = Integer.parseInt(a.substring(7));
            } else if (a.startsWith("--seed=")) {
                seed = Long.parseLong(a.substring(7));
            } else if (!a.isBlank()) {
                throw new IllegalArgumentException("unknown option " + a + " (known: --reps=N --seed=N)");
            }
        }
        System.exit(new NativeDrill().run(reps, seed) ? 0 : 1);
    }

    private boolean run(int reps, long seed) throws Exception {
        System.out.printf(Locale.ROOT, "NativeDrill: reps=%d per fault, seed=%d; reproduce: ./mvnw -q -pl benchmarks -am"
                + " package -DskipTests -Pnative-drill -Dnative.args=\"--reps=%d --seed=%d\"%n", reps, seed, reps, seed);
        try (PostgresPair pg = new PostgresPair(PostgresPair.logical()).start()) {
            for (PgServer s : List.of(pg.primary(), pg.secondary())) {
                s.createDatabase(DB);
                try (Connection c = s.connect(DB); Statement st = c.createStatement()) {
                    for (String ddl : DrillEvent.DDL) {
                        st.execute(ddl);
                    }
                    st.execute("CREATE SEQUENCE IF NOT EXISTS drill_event_seq INCREMENT BY 50");
                }
            }
            EntityManagerFactory emf = new HibernatePersistenceConfiguration("native-drill")
                    .managedClasses(DrillEvent.class)
                    .property("hibernate.multi_tenant_connection_provider", "io.dbredundancy.hibernate.routing.RedundantConnectionProvider")
                    .property("hibernate.tenant_identifier_resolver", "io.dbredundancy.hibernate.routing.ActiveNodeResolver")
                    .property(RedundancySettings.PRIMARY_URL, pg.primary().jdbcUrl(DB))
                    .property(RedundancySettings.PRIMARY_USER, pg.primary().user())
                    .property(RedundancySettings.PRIMARY_PASSWORD, pg.primary().password())
                    .property(RedundancySettings.SECONDARY_URL, pg.secondary().jdbcUrl(DB))
                    .property(RedundancySettings.SECONDARY_USER, pg.secondary().user())
                    .property(RedundancySettings.SECONDARY_PASSWORD, pg.secondary().password())
                    .property(RedundancySettings.MIRROR_MODE, "native")
                    .property("hibernate.hbm2ddl.auto", "none")
                    .createEntityManagerFactory();
            Redundancy redundancy = Redundancy.of(emf);
            Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
            AtomicLong duplicates = new AtomicLong();
            AtomicLong failed = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<?>> writers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int worker = t;
                writers.add(pool.submit(() -> write(emf, worker, stop, acknowledged, duplicates, failed)));
            }
            List<String> faults = new ArrayList<>();
            for (int i = 0; i < reps; i++) {
                faults.add("kill -9");
                faults.add("SIGSTOP");
            }
            java.util.Collections.shuffle(faults, new Random(seed));
            System.out.println("| # | fault | to failover ms | failback wait ms |");
            System.out.println("|---:|---|---:|---:|");
            boolean ok = true;
            try {
                Thread.sleep(1000);
                int n = 0;
                for (String fault : faults) {
                    n++;
                    long t0 = System.nanoTime();
                    if (fault.equals("kill -9")) {
                        pg.primary().kill9();
                    } else {
                        pg.primary().freeze();
                    }
                    boolean over = await(() -> "secondary".equals(redundancy.status().activeDatabase()), 30);
                    long failoverMs = (System.nanoTime() - t0) / 1_000_000;
                    Thread.sleep(1000);
                    long t1 = System.nanoTime();
                    if (fault.equals("kill -9")) {
                        pg.primary().restart();
                    } else {
                        pg.primary().thaw();
                    }
                    boolean back = await(() -> "primary".equals(redundancy.status().activeDatabase()), 60);
                    long failbackMs = (System.nanoTime() - t1) / 1_000_000;
                    System.out.printf(Locale.ROOT, "| %d | %s | %s | %s |%n", n, fault, over ? failoverMs : "no failover",
                            back ? failbackMs : "no failback");
                    ok &= over && back;
                    Thread.sleep(1000);
                }
            } finally {
                stop.set(true);
                for (Future<?> f : writers) {
                    f.get(60, TimeUnit.SECONDS);
                }
                pool.shutdown();
            }
            boolean identical = await(() -> digest(pg.primary()).equals(digest(pg.secondary())), 60);
            long onPrimary = present(pg.primary(), acknowledged);
            long onSecondary = present(pg.secondary(), acknowledged);
            System.out.printf(Locale.ROOT, "acknowledged writes: %d; on the primary: %d, on the secondary: %d (lost: %d);"
                            + " both identical after failback: %s; duplicate keys: %d; failed (not acknowledged) attempts: %d%n",
                    acknowledged.size(), onPrimary, onSecondary, acknowledged.size() - Math.min(onPrimary, onSecondary),
                    identical ? "yes" : "NO", duplicates.get(), failed.get());
            emf.close();
            return ok && identical && onPrimary == acknowledged.size() && onSecondary == acknowledged.size()
                    && duplicates.get() == 0;
        }
    }

    private static void write(EntityManagerFactory emf, int worker, AtomicBoolean stop, Set<Long> acknowledged,
                              AtomicLong duplicates, AtomicLong failed) {
        long n = 0;
        while (!stop.get()) {
            EntityManager em = emf.createEntityManager();
            try {
                em.getTransaction().begin();
                DrillEvent e = new DrillEvent(worker, n++);
                em.persist(e);
                em.getTransaction().commit();
                acknowledged.add(e.getId());
            } catch (RuntimeException ex) {
                failed.incrementAndGet();
                for (Throwable t = ex; t != null; t = t.getCause()) {
                    if (String.valueOf(t.getMessage()).contains("duplicate key")) {
                        duplicates.incrementAndGet();
                        break;
                    }
                }
                try {
                    if (em.getTransaction().isActive()) {
                        em.getTransaction().rollback();
                    }
                } catch (RuntimeException ignored) {
                    // the connection is gone
                }
                sleep(5);
            } finally {
                try {
                    em.close();
                } catch (RuntimeException ignored) {
                    // closing
                }
            }
        }
    }

    private static String digest(PgServer s) {
        try (Connection c = s.connect(DB); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) || ':' || coalesce(md5(string_agg(id::text || payload, ',' ORDER BY id)), '')"
                     + " FROM drill_event")) {
            rs.next();
            return rs.getString(1);
        } catch (Exception e) {
            return "unreachable: " + e.getMessage();
        }
    }

    private static long present(PgServer s, Set<Long> ids) throws Exception {
        try (Connection c = s.connect(DB); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT count(*) FROM drill_event WHERE id = ANY ('{" + String.join(",", ids.stream().map(String::valueOf).toList())
                        + "}'::bigint[])")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static boolean await(BooleanSupplier condition, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            try {
                if (condition.getAsBoolean()) {
                    return true;
                }
            } catch (RuntimeException e) {
                // not yet
            }
            Thread.sleep(10);
        }
        return false;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
