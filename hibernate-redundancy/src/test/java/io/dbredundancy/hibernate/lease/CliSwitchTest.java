package io.dbredundancy.hibernate.lease;

import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.RedundancySettings;
import io.dbredundancy.hibernate.SwitchEvent;
import io.dbredundancy.hibernate.cli.Cli;
import io.dbredundancy.hibernate.routing.ActiveNodeResolver;
import io.dbredundancy.hibernate.routing.RedundantConnectionProvider;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import io.dbredundancy.hibernate.testbed.PersistenceUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An operator's {@code redundancy failover} / {@code failback} moves running applications: they read the lease the
 * command wrote and follow it within a health interval or two, a manual failover holds them on the secondary, an
 * application started meanwhile starts on the secondary, and the primary takes no write while the lease names the
 * secondary.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class CliSwitchTest {

    static final String DB = "clilease";

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    @Test
    void runningApplicationsFollowTheLeaseTheCommandLineWrites() throws Exception {
        PingTable.create(pg.primary(), DB);
        PingTable.create(pg.secondary(), DB);
        Map<String, String> env = Map.of("DATABASE_URL", pg.primary().uri(DB), "DATABASE_URL_SECONDARY",
                pg.secondary().uri(DB));
        EntityManagerFactory first = unit("first");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong acked = new AtomicLong();
        Thread writer = new Thread(() -> {
            long seq = 0;
            while (!stop.get()) {
                try (EntityManager em = first.createEntityManager()) {
                    em.getTransaction().begin();
                    em.persist(new Ping(UUID.randomUUID(), "first", seq++));
                    em.getTransaction().commit();
                    acked.incrementAndGet();
                } catch (RuntimeException e) {
                    // refused while it follows
                }
                sleep(10);
            }
        });
        writer.start();
        try {
            Redundancy r = Redundancy.of(first);
            List<SwitchEvent> events = new CopyOnWriteArrayList<>();
            r.addListener(events::add);
            awaitActive(r, "primary");

            long started = System.currentTimeMillis();
            String out = cli(env, "failover");
            long written = System.currentTimeMillis();
            assertThat(out).contains("active database is now the secondary");
            awaitActive(r, "secondary");
            long followed = System.currentTimeMillis() - written;
            System.out.println("[measure] the running application was on the secondary " + followed + " ms after the"
                    + " CLI's failover returned (the command itself took " + (written - started) + " ms)");
            assertThat(followed).isLessThanOrEqualTo(2000);
            // the listeners are told right after the switch is visible (the monitor swaps, then publishes)
            long told = System.currentTimeMillis() + 2000;
            while (events.isEmpty() && System.currentTimeMillis() < told) {
                sleep(10);
            }
            assertThat(events).last().satisfies(e -> {
                assertThat(e.reason()).contains("following the lease", "redundancy-cli@");
                assertThat(e.kind().isManual()).as("a manual failover, held").isTrue();
            });
            sleep(3000);
            assertThat(r.status().activeDatabase()).as("held on the secondary: no automatic failback").isEqualTo("secondary");
            long before = acked.get();
            sleep(500);
            assertThat(acked.get()).as("the application writes on the secondary").isGreaterThan(before);

            try (EntityManagerFactory second = unit("second")) {
                assertThat(Redundancy.of(second).status().activeDatabase()).as("a new instance starts where the lease says")
                        .isEqualTo("secondary");
                assertThat(Redundancy.of(second).status().epoch()).isEqualTo(r.status().epoch());
            }
            assertThat(PingTable.writesWhileDemoted(pg.primary(), DB, "secondary")).isZero();

            assertThat(cli(env, "failback")).contains("active database is now the primary");
            awaitActive(r, "primary");
        } finally {
            stop.set(true);
            writer.join(10_000);
            first.close();
        }
    }

    private static EntityManagerFactory unit(String name) {
        return new PersistenceUnit("cli-lease-" + name)
                .managedClasses(Ping.class)
                .property("hibernate.multi_tenant_connection_provider", RedundantConnectionProvider.class.getName())
                .property("hibernate.tenant_identifier_resolver", ActiveNodeResolver.class.getName())
                .property(RedundancySettings.PRIMARY_URL, pg.primary().jdbcUrl(DB))
                .property(RedundancySettings.PRIMARY_USER, pg.primary().user())
                .property(RedundancySettings.PRIMARY_PASSWORD, pg.primary().password())
                .property(RedundancySettings.SECONDARY_URL, pg.secondary().jdbcUrl(DB))
                .property(RedundancySettings.SECONDARY_USER, pg.secondary().user())
                .property(RedundancySettings.SECONDARY_PASSWORD, pg.secondary().password())
                .property(RedundancySettings.POOL_MAX_SIZE, "4")
                .property("hibernate.hbm2ddl.auto", "none")
                .createEntityManagerFactory();
    }

    private static String cli(Map<String, String> env, String... args) {
        Cli run = Cli.run(env, args);
        assertThat(run.exitCode()).as(run.toString()).isZero();
        return run.out();
    }

    private static void awaitActive(Redundancy r, String node) {
        long deadline = System.currentTimeMillis() + 10_000;
        while (!node.equals(r.status().activeDatabase())) {
            assertThat(System.currentTimeMillis()).as("active database " + node + " within 10 s").isLessThan(deadline);
            sleep(20);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
