package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.testbed.PgBouncerServer;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;

import java.sql.Connection;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real PgBouncer in transaction-pooling mode in front of the primary (the shape of a Neon {@code -pooler.}
 * endpoint): queries, probes, the journal and the relay work through it, and both a dead PgBouncer and a dead server
 * behind a live PgBouncer fail over. Skipped without {@code /usr/sbin/pgbouncer}.
 */
class PgBouncerTest {

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    private PgBouncerServer bouncer;

    @BeforeAll
    static void schema() {
        if (PgBouncerServer.available()) {
            Jpa.prepare(pg.primary());
            Jpa.prepare(pg.secondary());
        }
    }

    /** Each test is reported as skipped, with the reason, when pgbouncer is missing (a failure under CI=true). */
    @org.junit.jupiter.api.BeforeEach
    void needsPgbouncer() {
        PgBouncerServer.require();
    }

    @AfterEach
    void stopBouncer() {
        if (bouncer != null) {
            bouncer.close();
        }
    }

    private EntityManagerFactory unitBehindBouncer(String name, String mirrorMode) {
        bouncer = PgBouncerServer.start(pg.primary());
        Map<String, Object> s = Jpa.settings(bouncer.jdbcUrl(Jpa.DB) + "?pgbouncer=true", pg.primary(),
                pg.secondary().jdbcUrl(Jpa.DB), pg.secondary());
        s.put("hibernate.redundancy.mirror.mode", mirrorMode);
        s.put("hibernate.redundancy.health.interval_ms", "500");
        return Jpa.emf(name, s);
    }

    private static long queryCount(EntityManagerFactory emf, String writer) {
        EntityManager em = emf.createEntityManager();
        try {
            em.getTransaction().begin();
            long n = em.createQuery("select count(n) from Note n where n.writer = :w", Long.class)
                    .setParameter("w", writer).getSingleResult();
            em.getTransaction().commit();
            return n;
        } finally {
            em.close();
        }
    }

    private static Node awaitActive(EntityManagerFactory emf, String node, long timeoutMs) {
        Redundancy r = Redundancy.of(emf);
        assertThat(FailbackTest.waitFor(() -> r.status().activeDatabase().equals(node), timeoutMs))
                .as("active database becomes %s; status %s", node, r.status().toJson()).isTrue();
        return Node.valueOf(node.toUpperCase());
    }

    @Test
    void repeatedQueriesAndProbesWorkThroughTransactionPoolingAndAKilledPgBouncerFailsOver() throws Exception {
        try (EntityManagerFactory emf = unitBehindBouncer("bouncer-queries", "off")) {
            Redundancy r = Redundancy.of(emf);
            assertThat(RuntimeLookup.require(emf).config().primary().pooler()).isTrue();
            assertThat(RuntimeLookup.require(emf).config().primary().jdbcUrl()).contains("prepareThreshold=0");
            try (Connection c = RuntimeLookup.require(emf).dataSource(Node.PRIMARY).getConnection()) {
                assertThat(c.unwrap(PGConnection.class).getPrepareThreshold()).isZero();
            }
            for (int i = 0; i < 30; i++) {
                assertThat(Jpa.write(emf, "bq", i)).isEqualTo("primary");
                assertThat(queryCount(emf, "bq")).isEqualTo(i + 1);
            }
            // the probes go through the pooler too, every interval, and keep the primary healthy
            long checks = r.status().primary().lastCheck().toEpochMilli();
            assertThat(FailbackTest.waitFor(() -> r.status().primary().lastCheck().toEpochMilli() > checks, 5000)).isTrue();
            assertThat(r.status().primary().connected()).isTrue();
            assertThat(r.status().activeDatabase()).isEqualTo("primary");
            assertThat(Jpa.count(pg.primary(), "bq")).isEqualTo(30);

            // kill -9 of PgBouncer: refused connections, failover
            bouncer.kill9();
            awaitActive(emf, "secondary", 15_000);
            assertThat(Jpa.write(emf, "bq", 31)).isEqualTo("secondary");
            assertThat(r.status().primary().connected()).isFalse();
        }
    }

    @Test
    void journalAndRelayCarryAWriteThroughPgBouncerToTheSecondary() {
        try (EntityManagerFactory emf = unitBehindBouncer("bouncer-mirror", "async")) {
            for (int i = 0; i < 5; i++) {
                assertThat(Jpa.write(emf, "bm", i)).isEqualTo("primary");
            }
            assertThat(FailbackTest.waitFor(() -> Jpa.count(pg.secondary(), "bm") == 5, 15_000))
                    .as("the secondary received the writes made through PgBouncer").isTrue();
            assertThat(Jpa.count(pg.primary(), "bm")).isEqualTo(5);
        }
    }

    @Test
    void aDeadServerBehindALivePgBouncerIsDetectedAndFailsOver() {
        try (EntityManagerFactory emf = unitBehindBouncer("bouncer-server-dead", "off")) {
            assertThat(Jpa.write(emf, "bd", 1)).isEqualTo("primary");
            pg.primary().kill9();
            assertThat(bouncer.isRunning()).isTrue(); // PgBouncer still accepts TCP connections
            awaitActive(emf, "secondary", 15_000);
            assertThat(Jpa.write(emf, "bd", 2)).isEqualTo("secondary");
            assertThat(bouncer.isRunning()).isTrue();
        }
    }
}
