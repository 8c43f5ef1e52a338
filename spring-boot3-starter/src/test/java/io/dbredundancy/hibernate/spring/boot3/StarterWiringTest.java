package io.dbredundancy.hibernate.spring.boot3;

import io.dbredundancy.hibernate.CommitOutcome;
import io.dbredundancy.hibernate.CommitOutcomeUnknownException;
import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.spring.boot3.app.OrderService;
import io.dbredundancy.hibernate.testbed.PgServer;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import jakarta.persistence.EntityManagerFactory;
import liquibase.integration.spring.SpringLiquibase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.orm.jpa.JpaTransactionManager;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** What the starter changes, and does not change, in a Boot application: migrations, Liquibase, transactions. */
class StarterWiringTest {

    @RegisterExtension
    static final SharedPair shared = new SharedPair();
    static final PostgresPair pg = SharedPair.pair();

    @Test
    void applicationThatDoesNotUseLiquibaseStartsAsBefore() {
        String db = "no_liquibase";
        pg.createDatabase(db);
        // liquibase-core (the plugin's) and Boot's Liquibase auto-configuration are on the class path; the application
        // has no changelog: Boot's Liquibase backs off instead of failing the start
        Map<String, Object> props = BootApp.properties(pg, db);
        props.put("hibernate.redundancy.mirror.mode", "off"); // the library's own tables are not this test's subject
        try (ConfigurableApplicationContext ctx = BootApp.start(props)) {
            assertThat(ctx.getBeansOfType(SpringLiquibase.class)).isEmpty();
            assertThat(ctx.getEnvironment().getProperty("hibernate.redundancy.schema.changelog")).isNull();
            assertThat(Redundancy.of(ctx.getBean(EntityManagerFactory.class)).status().activeDatabase()).isEqualTo("primary");
        }
    }

    /** The control: Boot 3's Liquibase auto-configuration is on the class path (the plugin's liquibase-core). */
    @Test
    void bootsLiquibaseIsActiveWhenTheApplicationTurnsItOnWithoutAChangelog() {
        String db = "liquibase_on";
        pg.createDatabase(db);
        Map<String, Object> props = BootApp.properties(pg, db);
        props.put("hibernate.redundancy.mirror.mode", "off");
        props.put("spring.liquibase.enabled", "true");
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> BootApp.start(props).close());
        assertThat(t).isNotNull();
        assertThat(org.springframework.core.NestedExceptionUtils.getMostSpecificCause(t))
                .hasMessageContaining("db/changelog/db.changelog-master.yaml");
    }

    @Test
    void flywayMigrationsReachBothDatabases() throws SQLException {
        String db = "flyway_app";
        pg.createDatabase(db);
        Map<String, Object> props = BootApp.properties(pg, db);
        props.put("spring.flyway.enabled", "true");
        props.put("spring.flyway.locations", "classpath:db/flyway");
        props.put("hibernate.redundancy.mirror.mode", "off");
        try (ConfigurableApplicationContext ctx = BootApp.start(props)) {
            for (PgServer server : new PgServer[] {pg.primary(), pg.secondary()}) {
                assertThat(BootApp.count(server, db, "SELECT count(*) FROM shipment")).isZero();
                assertThat(BootApp.count(server, db, "SELECT count(*) FROM flyway_schema_history WHERE success"
                        + " AND version = '1'")).isOne();
            }
        }
    }

    @Test
    void flywayMigratesTheSecondaryOnceItIsBackWhenItWasDownAtStart() throws Exception {
        String db = "flyway_late";
        pg.createDatabase(db);
        pg.secondary().kill9();
        Map<String, Object> props = BootApp.properties(pg, db);
        props.put("spring.flyway.enabled", "true");
        props.put("spring.flyway.locations", "classpath:db/flyway");
        props.put("hibernate.redundancy.mirror.mode", "off");
        try (ConfigurableApplicationContext ctx = BootApp.start(props)) {
            assertThat(BootApp.count(pg.primary(), db, "SELECT count(*) FROM shipment")).isZero();
            pg.secondary().restart();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() ->
                    BootApp.count(pg.secondary(), db, "SELECT count(*) FROM flyway_schema_history WHERE success"
                            + " AND version = '1'") == 1);
            assertThat(BootApp.count(pg.secondary(), db, "SELECT count(*) FROM shipment")).isZero();
        }
    }

    /**
     * The connection dies while the primary is committing a {@code @Transactional} method: Spring's
     * JpaTransactionManager does not lose the library's exception. What reaches the caller is Spring's
     * {@link DataAccessResourceFailureException} (translated from the SQLNonTransientConnectionException the library
     * throws, SQLState 08007), with the CommitOutcomeUnknownException among its
     * causes: find it with {@link CommitOutcomeUnknownException#find(Throwable)}.
     */
    @Test
    void commitOutcomeUnknownSurvivesJpaTransactionManager() throws Exception {
        String db = "outcome_app";
        pg.createDatabase(db);
        Map<String, Object> props = BootApp.properties(pg, db);
        props.put("spring.liquibase.change-log", "classpath:db/orders/changelog.xml");
        try (ConfigurableApplicationContext ctx = BootApp.start(props)) {
            assertThat(ctx.getBean(PlatformTransactionManager.class)).isInstanceOf(JpaTransactionManager.class);
            BootApp.execute(pg.primary(), db, "CREATE FUNCTION test_sleep_at_commit() RETURNS trigger LANGUAGE plpgsql"
                    + " AS $$ BEGIN IF NEW.item LIKE 'sleep %' THEN PERFORM pg_sleep(split_part(NEW.item, ' ', 2)::float8);"
                    + " END IF; RETURN NULL; END $$");
            BootApp.execute(pg.primary(), db, "CREATE CONSTRAINT TRIGGER test_sleep_at_commit AFTER INSERT ON purchase"
                    + " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_sleep_at_commit()");
            OrderService orders = ctx.getBean(OrderService.class);
            CompletableFuture<Throwable> commit = CompletableFuture.supplyAsync(() -> {
                try {
                    orders.order("sleep 30 never", 1);
                    return null;
                } catch (RuntimeException e) {
                    return e;
                }
            });
            int pid = committingBackend(db, commit);
            BootApp.execute(pg.primary(), db, "SELECT pg_terminate_backend(" + pid + ")");
            Throwable failure = commit.get(30, TimeUnit.SECONDS);

            assertThat(failure).isInstanceOf(DataAccessResourceFailureException.class);
            CommitOutcomeUnknownException unknown = CommitOutcomeUnknownException.find(failure).orElseThrow(
                    () -> new AssertionError("no CommitOutcomeUnknownException in", failure));
            assertThat(unknown.getSQLState()).isEqualTo(CommitOutcomeUnknownException.SQL_STATE);
            String id = unknown.transactionId();
            assertThat(id).startsWith("primary:");
            Redundancy redundancy = Redundancy.of(ctx.getBean(EntityManagerFactory.class));
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> redundancy.outcome(id) == CommitOutcome.NOT_COMMITTED);
            assertThat(BootApp.count(pg.primary(), db, "SELECT count(*) FROM purchase")).isZero();
        }
    }

    private static int committingBackend(String db, CompletableFuture<Throwable> commit) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            if (commit.isDone()) {
                throw new AssertionError("the commit ended before the test could fault it", commit.join());
            }
            try (Connection c = pg.primary().connect(db); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT pid FROM pg_stat_activity WHERE state = 'active'"
                         + " AND query ILIKE 'commit%' AND wait_event = 'PgSleep'")) {
                if (rs.next()) {
                    return rs.getInt(1);
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no session of the primary entered its commit within 20 s");
    }
}
