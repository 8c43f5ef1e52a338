package io.dbredundancy.hibernate.routing;

import com.zaxxer.hikari.HikariDataSource;
import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.health.SwitchEvent;
import io.dbredundancy.hibernate.testbed.PgServer;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import org.hibernate.Session;
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
 * Connection hygiene of both pools on real servers: keepalive, a warm standby pool before any failover (the first
 * commit after a switch reuses a connection opened at boot), and the pooled connections of a demoted node evicted
 * at the switch.
 */
class ConnectionHygieneTest {

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
        return (HikariDataSource) Redundancy.of(emf).runtime().dataSource(node);
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
}
