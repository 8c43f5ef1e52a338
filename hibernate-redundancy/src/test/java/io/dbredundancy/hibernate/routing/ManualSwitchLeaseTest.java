package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.SwitchEvent;
import io.dbredundancy.hibernate.testbed.PgServer;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import jakarta.persistence.EntityManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A manual switch returns once every reachable database holds the new lease, so that, the moment
 * {@code failover()} returns, the fence on the demoted database refuses other instances' writes (before, the lease
 * reached the databases on the keeper's next run, just after).
 */
class ManualSwitchLeaseTest {

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    @BeforeAll
    static void schema() throws Exception {
        for (PgServer server : java.util.List.of(pg.primary(), pg.secondary())) {
            Jpa.prepare(server);
            try (Connection c = server.connect(Jpa.DB)) {
                io.dbredundancy.hibernate.sync.Migrations.apply(c, io.dbredundancy.hibernate.sync.Migrations.LIBRARY_CHANGELOG,
                        ManualSwitchLeaseTest.class.getClassLoader());
            }
        }
    }

    /** The lease {@code c}'s database holds, read on a connection opened before the switch (no connect time). */
    private static String lease(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT active_node || ' ' || epoch FROM redundancy_lease WHERE id = 1")) {
            return rs.next() ? rs.getString(1) : "none";
        }
    }

    @Test
    void failoverAndFailbackReturnOnceBothDatabasesHoldTheNewLease() throws Exception {
        Map<String, Object> s = Jpa.settings(pg.primary().jdbcUrl(Jpa.DB), pg.primary(), pg.secondary().jdbcUrl(Jpa.DB),
                pg.secondary());
        EntityManagerFactory emf = Jpa.emf("manual-lease", s);
        try (Connection primary = pg.primary().connect(Jpa.DB); Connection secondary = pg.secondary().connect(Jpa.DB)) {
            Redundancy r = Redundancy.of(emf);
            Jpa.write(emf, "before", 1);
            lease(primary);
            lease(secondary);
            SwitchEvent over = r.failover();
            // read at once: no waiting for the keeper's next renewal
            assertThat(lease(primary)).isEqualTo("secondary " + over.epoch());
            assertThat(lease(secondary)).isEqualTo("secondary " + over.epoch());
            SwitchEvent back = r.failback();
            assertThat(lease(primary)).isEqualTo("primary " + back.epoch());
            assertThat(lease(secondary)).isEqualTo("primary " + back.epoch());
        } finally {
            emf.close();
        }
    }
}
