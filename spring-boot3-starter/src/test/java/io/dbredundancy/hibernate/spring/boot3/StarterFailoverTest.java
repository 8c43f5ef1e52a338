package io.dbredundancy.hibernate.spring.boot3;

import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.metrics.MeterNames;
import io.dbredundancy.hibernate.spring.boot3.app.OrderService;
import io.dbredundancy.hibernate.spring.boot3.app.PurchaseRepository;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.persistence.EntityManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A Boot application with the starter and two properties, on two real PostgreSQL servers: its Liquibase changelog
 * reaches both, its JPA writes are mirrored, a kill -9 of the primary in the middle of its writes moves it to the
 * secondary, where the writes go on; Actuator's health stays UP with per-node details; the meters are bound once.
 */
@org.junit.jupiter.api.Tag("data-integrity")
class StarterFailoverTest {

    @RegisterExtension
    static final SharedPair shared = new SharedPair();
    static final PostgresPair pg = SharedPair.pair();

    @Test
    void writesGoOnOnTheSecondaryWhenThePrimaryIsKilledMidway() throws Exception {
        String db = "orders_failover";
        pg.createDatabase(db);
        Map<String, Object> props = BootApp.properties(pg, db);
        props.put("spring.liquibase.change-log", "classpath:db/orders/changelog.xml");
        props.put("spring.jpa.properties.hibernate.generate_statistics", "true"); // Hibernate's meters need them
        try (ConfigurableApplicationContext ctx = BootApp.start(props)) {
            // the application's changelog reached both databases, once each (the plugin's run and Boot's own)
            for (var server : new io.dbredundancy.hibernate.testbed.PgServer[] {pg.primary(), pg.secondary()}) {
                assertThat(BootApp.count(server, db, "SELECT count(*) FROM purchase")).isZero();
                assertThat(BootApp.count(server, db, "SELECT count(*) FROM databasechangelog WHERE id = '1'"
                        + " AND author = 'orders'")).isOne();
            }
            OrderService orders = ctx.getBean(OrderService.class);
            PurchaseRepository repository = ctx.getBean(PurchaseRepository.class);
            JdbcTemplate jdbc = new JdbcTemplate(ctx.getBean(DataSource.class));
            HealthIndicator health = ctx.getBean("redundancyHealthIndicator", HealthIndicator.class);
            Redundancy redundancy = Redundancy.of(ctx.getBean(EntityManagerFactory.class));

            Health before = health.health();
            assertThat(before.getStatus()).isEqualTo(Status.UP);
            assertThat(before.getDetails()).containsEntry("activeDatabase", "primary");
            assertThat(nodeDetails(before, "primary")).containsEntry("connected", true);
            assertThat(nodeDetails(before, "secondary")).containsEntry("connected", true);
            assertThat(String.valueOf(nodeDetails(before, "primary").get("url"))).doesNotContain(pg.primary().password());

            for (int i = 0; i < 10; i++) {
                orders.order("before-" + i, i);
            }
            assertThat(repository.countByItemStartingWith("before-")).isEqualTo(20);
            assertThat(jdbc.queryForObject("SELECT count(*) FROM purchase", Long.class)).isEqualTo(20);
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    BootApp.count(pg.secondary(), db, "SELECT count(*) FROM purchase") == 20);

            // kill -9 in the middle of a stream of writes: each order is retried until it commits
            int after = 0;
            int failed = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (after < 20 && System.nanoTime() < deadline) {
                if (after == 5 && pg.primary().isRunning()) {
                    pg.primary().kill9();
                }
                try {
                    orders.order("after-" + after, after);
                    after++;
                } catch (RuntimeException e) {
                    failed++;
                    Thread.sleep(20);
                }
            }
            assertThat(after).isEqualTo(20);
            assertThat(failed).as("orders that failed while the switch happened").isLessThan(100);
            assertThat(redundancy.status().activeDatabase()).isEqualTo("secondary");

            // the orders since the switch are on the secondary (those the relay had not carried yet when the primary
            // died wait in its journal); the application's own JDBC reads the secondary too
            long onSecondary = BootApp.count(pg.secondary(), db, "SELECT count(*) FROM purchase");
            assertThat(onSecondary).isBetween(50L, 60L);
            assertThat(jdbc.queryForObject("SELECT count(*) FROM purchase", Long.class)).isEqualTo(onSecondary);
            assertThat(repository.count()).isEqualTo(onSecondary);

            Health during = health.health();
            assertThat(during.getStatus()).isEqualTo(Status.UP);
            assertThat(during.getDetails()).containsEntry("activeDatabase", "secondary");
            assertThat(nodeDetails(during, "primary")).containsEntry("connected", false);
            assertThat(nodeDetails(during, "secondary")).containsEntry("connected", true);
            // Boot's own db indicator checks the routing DataSource: the serving node
            HealthIndicator bootDb = ctx.getBean("dbHealthContributor", HealthIndicator.class);
            assertThat(bootDb.health().getStatus()).isEqualTo(Status.UP);

            // the plugin's meters are bound once
            MeterRegistry registry = ctx.getBean(MeterRegistry.class);
            assertThat(registry.find(MeterNames.ACTIVE_NODE).gauges()).hasSize(1);
            assertThat(registry.get(MeterNames.ACTIVE_NODE).gauge().value()).isEqualTo(2.0);
            assertThat(registry.find("hikaricp.connections.active").gauges()).hasSize(2);
            assertThat(registry.find("hibernate.sessions.open").functionCounters()).hasSize(1);

            // the primary returns: what it held reaches the secondary, the secondary's orders reach it; none is lost
            pg.primary().restart();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() ->
                    BootApp.count(pg.secondary(), db, "SELECT count(*) FROM purchase") == 60
                            && BootApp.count(pg.primary(), db, "SELECT count(*) FROM purchase") == 60);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> nodeDetails(Health h, String node) {
        return (Map<String, Object>) h.getDetails().get(node);
    }
}
