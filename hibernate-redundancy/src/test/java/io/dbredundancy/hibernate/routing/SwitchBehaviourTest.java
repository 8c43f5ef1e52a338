package io.dbredundancy.hibernate.routing;

import com.zaxxer.hikari.HikariDataSource;
import io.dbredundancy.hibernate.ActiveNode;
import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.SwitchEvent;
import io.dbredundancy.hibernate.SwitchKind;
import io.dbredundancy.hibernate.testbed.PgServer;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an application observes around a switch, on real servers. Connection hygiene of both pools: keepalive, a
 * warm standby pool before any failover (the first commit after a switch reuses a connection opened at boot), the
 * pooled connections of a demoted node evicted at the switch. Switch events: listeners registered with
 * {@code Redundancy.of(emf).addListener(…)} hear every transition once, in order, with its kind and reason.
 */
class SwitchBehaviourTest {

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    private static final int MIN_IDLE = 2;

    @BeforeAll
    static void schema() {
        Jpa.prepare(pg.primary());
        Jpa.prepare(pg.secondary());
    }

    private static EntityManagerFactory unit(String name) {
        Map<String, Object> s = Jpa.settings(pg.primary().jdbcUrl(Jpa.DB), pg.primary(), pg.secondary().jdbcUrl(Jpa.DB),
                pg.secondary());
        s.put("hibernate.redundancy.pool.min_idle", Integer.toString(MIN_IDLE));
        return Jpa.emf(name, s);
    }

    private static HikariDataSource pool(EntityManagerFactory emf, Node node) {
        return (HikariDataSource) RuntimeLookup.require(emf).dataSource(node);
    }

    /** Backend pids of the plugin's pooled connections (application_name db-redundancy) to database {@code Jpa.DB}. */
    private static Set<Integer> pooledBackends(PgServer server) {
        try (Connection c = server.connect(Jpa.DB); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select pid from pg_stat_activity where datname = '" + Jpa.DB
                     + "' and application_name = 'db-redundancy'")) {
            Set<Integer> pids = new HashSet<>();
            while (rs.next()) {
                pids.add(rs.getInt(1));
            }
            return pids;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Commits one write and answers the backend pid of the connection it ran on. */
    private static int commitAndTellBackend(EntityManagerFactory emf, String writer) {
        EntityManager em = emf.createEntityManager();
        try {
            em.getTransaction().begin();
            em.persist(new Note(writer, 1));
            int pid = ((Number) em.createNativeQuery("select pg_backend_pid()").getSingleResult()).intValue();
            em.getTransaction().commit();
            return pid;
        } finally {
            em.close();
        }
    }

    @Test
    void bothPoolsKeepAliveAndTheStandbyIsWarmBeforeAnyFailoverSoTheFirstCommitAfterItOpensNoConnection() {
        try (EntityManagerFactory emf = unit("hygiene-warm")) {
            Redundancy r = Redundancy.of(emf);
            for (Node n : Node.values()) {
                HikariDataSource ds = pool(emf, n);
                assertThat(ds.getKeepaliveTime()).as("%s keepaliveTime", n).isPositive()
                        .isLessThan(ds.getMaxLifetime());
                assertThat(ds.getDataSourceProperties()).containsEntry("tcpKeepAlive", "true");
            }
            HikariDataSource standby = pool(emf, Node.SECONDARY);
            assertThat(FailbackTest.waitFor(() -> standby.getHikariPoolMXBean().getIdleConnections() >= MIN_IDLE, 10_000))
                    .as("the secondary's pool holds %d idle connections without any session having used it", MIN_IDLE)
                    .isTrue();
            assertThat(r.status().failoverCount()).isZero();
            Set<Integer> warm = pooledBackends(pg.secondary());
            assertThat(warm).hasSizeGreaterThanOrEqualTo(MIN_IDLE);

            assertThat(r.failover()).isNotNull();
            int backend = commitAndTellBackend(emf, "warm");
            assertThat(warm).as("the first commit after the failover ran on a connection opened before it")
                    .contains(backend);
            assertThat(Jpa.count(pg.secondary(), "warm")).isEqualTo(1);
        }
    }

    @Test
    void pooledConnectionsOfADemotedPrimaryAreEvictedAtTheSwitch() {
        try (EntityManagerFactory emf = unit("hygiene-evict")) {
            Redundancy r = Redundancy.of(emf);
            HikariDataSource primary = pool(emf, Node.PRIMARY);
            assertThat(FailbackTest.waitFor(() -> primary.getHikariPoolMXBean().getIdleConnections() >= MIN_IDLE, 10_000))
                    .isTrue();
            Set<Integer> before = pooledBackends(pg.primary());
            assertThat(before).isNotEmpty();

            // a healthy primary demoted by hand: its old connections are closed at once (the pool may open new ones)
            assertThat(r.failover()).isNotNull();
            assertThat(FailbackTest.waitFor(() -> {
                Set<Integer> now = pooledBackends(pg.primary());
                now.retainAll(before);
                return now.isEmpty();
            }, 3_000)).as("connections opened before the switch are gone from the demoted primary").isTrue();
            assertThat(r.failback()).isNotNull();

            // a crashed primary: nothing stale stays idle in its pool for a session to stumble on
            assertThat(FailbackTest.waitFor(() -> primary.getHikariPoolMXBean().getIdleConnections() >= 1, 10_000))
                    .isTrue();
            List<SwitchEvent> switches = new CopyOnWriteArrayList<>();
            r.addListener(switches::add);
            pg.primary().kill9();
            assertThat(FailbackTest.waitFor(() -> !switches.isEmpty(), 15_000)).isTrue();
            assertThat(FailbackTest.waitFor(() -> primary.getHikariPoolMXBean().getIdleConnections() == 0, 2_000))
                    .as("idle connections of the failed primary evicted").isTrue();
            assertThat(Jpa.write(emf, "evict", 1)).isEqualTo("secondary");
        }
    }

    private static void awaitEvents(List<SwitchEvent> events, int n) {
        assertThat(FailbackTest.waitFor(() -> events.size() >= n, 20_000))
                .as("%d switch events, got %s", n, events).isTrue();
    }

    @Test
    void listenersHearEveryTransitionOnceInOrderWithItsReason() {
        Map<String, Object> s = Jpa.settings(pg.primary().jdbcUrl(Jpa.DB), pg.primary(), pg.secondary().jdbcUrl(Jpa.DB),
                pg.secondary());
        s.put("hibernate.redundancy.health.interval_ms", "250");
        s.put("hibernate.redundancy.health.primary_retry_interval_ms", "250");
        s.put("hibernate.redundancy.health.failback_threshold", "3");
        try (EntityManagerFactory emf = Jpa.emf("switch-events", s)) {
            Redundancy r = Redundancy.of(emf);
            List<SwitchEvent> events = new CopyOnWriteArrayList<>();
            List<SwitchEvent> second = new CopyOnWriteArrayList<>();
            r.addListener(events::add);
            r.addListener(second::add);

            r.failover();                                    // 1 manual failover
            r.failback();                                    // 2 manual failback
            awaitEvents(events, 2);
            pg.primary().kill9();                            // 3 failover
            awaitEvents(events, 3);
            pg.primary().restart();                          // 4 automatic failback
            awaitEvents(events, 4);
            pg.primary().kill9();                            // 5 failover
            awaitEvents(events, 5);
            pg.secondary().kill9();                          // 6 both down
            awaitEvents(events, 6);
            pg.secondary().restart();                        // 7 recovered, on the secondary
            awaitEvents(events, 7);
            assertThat(Jpa.write(emf, "events", 1)).isEqualTo("secondary");
            FailbackTest.waitFor(() -> false, 1_000); // nothing more arrives

            assertThat(events).extracting(SwitchEvent::kind).containsExactly(
                    SwitchKind.MANUAL_FAILOVER, SwitchKind.MANUAL_FAILBACK, SwitchKind.FAILOVER, SwitchKind.FAILBACK,
                    SwitchKind.FAILOVER, SwitchKind.BOTH_DOWN, SwitchKind.RECOVERED);
            assertThat(events).extracting(SwitchEvent::to).containsExactly(
                    ActiveNode.SECONDARY, ActiveNode.PRIMARY, ActiveNode.SECONDARY, ActiveNode.PRIMARY,
                    ActiveNode.SECONDARY, ActiveNode.NONE, ActiveNode.SECONDARY);
            for (int i = 0; i < events.size(); i++) {
                SwitchEvent e = events.get(i);
                assertThat(e.reason()).as("reason of %s", e).isNotBlank();
                if (i > 0) {
                    SwitchEvent prev = events.get(i - 1);
                    assertThat(e.from()).as("event %d starts where %d ended", i, i - 1).isEqualTo(prev.to());
                    assertThat(e.epoch()).isGreaterThan(prev.epoch());
                    assertThat(e.time()).isAfterOrEqualTo(prev.time());
                }
            }
            assertThat(events.get(2).fromFailed()).isTrue();
            assertThat(events.get(0).fromFailed()).isFalse();
            assertThat(second).as("every listener hears the same transitions").containsExactlyElementsOf(events);
            assertThat(r.status().failoverCount()).isEqualTo(3);
        }
    }
}
