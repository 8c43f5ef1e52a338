package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.RedundancySettings;
import io.dbredundancy.hibernate.mirror.copy.Child;
import io.dbredundancy.hibernate.mirror.copy.Parent;
import io.dbredundancy.hibernate.mirror.copy.Stamped;
import io.dbredundancy.hibernate.testbed.PgServer;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.dbredundancy.hibernate.mirror.MirrorFixture.get;
import static io.dbredundancy.hibernate.mirror.MirrorFixture.inTx;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The standby's user may not set {@code session_replication_role} (not a superuser, no {@code GRANT SET ON
 * PARAMETER}): the relay applies with the standby's triggers and foreign keys on. A trigger written as the docs say
 * (it returns early when {@code redundancy.applying} is on) keeps the origin's values, and a row that refers to one
 * applied later in its batch is applied once more after it. Granting the parameter turns replica mode on.
 */
@org.junit.jupiter.api.Tag("data-integrity")
class MirrorReplicaFallbackTest {

    static final Class<?>[] MODEL = {Stamped.class, Parent.class, Child.class};
    static final String USER = "mirror_app";
    static final String PASSWORD = "mirror-app-secret";

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    @BeforeAll
    static void schema() throws SQLException {
        MirrorUnit.prepare(pg, MODEL);
        new MirrorUnit(pg, "mirror-fallback-owner", Map.of(), MODEL).close(); // the library's tables, as their owner
        for (PgServer server : List.of(pg.primary(), pg.secondary())) {
            try (Connection c = server.connect(MirrorUnit.DB); Statement st = c.createStatement()) {
                st.execute("CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                        + " IF current_setting('redundancy.applying', true) = 'on' THEN RETURN NEW; END IF;"
                        + " NEW.updated_at := clock_timestamp(); RETURN NEW; END $$");
                st.execute("CREATE TRIGGER stamped_stamp BEFORE INSERT OR UPDATE ON stamped"
                        + " FOR EACH ROW EXECUTE FUNCTION stamp()");
                st.execute("DO $$ BEGIN CREATE ROLE " + USER + " LOGIN PASSWORD '" + PASSWORD + "';"
                        + " EXCEPTION WHEN duplicate_object THEN NULL; END $$");
                st.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO " + USER);
                st.execute("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO " + USER);
                st.execute("GRANT CREATE ON SCHEMA public TO " + USER);
            }
        }
    }

    private static MirrorUnit unit(String name) {
        return new MirrorUnit(pg, name, Map.of(RedundancySettings.SECONDARY_USER, USER,
                RedundancySettings.SECONDARY_PASSWORD, PASSWORD), MODEL);
    }

    @Test
    void withoutThePrivilegeTheStandbyIsStillACopyAndGrantingItTurnsReplicaModeOn() throws SQLException {
        try (MirrorUnit unit = unit("mirror-fallback")) {
            Long id = get(unit.sf, s -> {
                Stamped row = new Stamped();
                row.label = "stamped";
                s.persist(row);
                return row.id;
            });
            inTx(unit.sf, s -> s.find(Stamped.class, id).label = "stamped again");
            Child.withParentInALaterFlush(unit.sf);
            unit.awaitIdentical(15);
            assertThat(unit.count(Node.PRIMARY, "SELECT count(*) FROM redundancy_parked")).isZero();
            assertThat(unit.mirror().relay(Node.PRIMARY).appliesAsReplica()).isFalse();
        }
        try (Connection c = pg.secondary().connect(MirrorUnit.DB); Statement st = c.createStatement()) {
            st.execute("GRANT SET ON PARAMETER session_replication_role TO " + USER);
        }
        try (MirrorUnit unit = unit("mirror-fallback-granted")) {
            inTx(unit.sf, s -> {
                Stamped row = new Stamped();
                row.label = "granted";
                s.persist(row);
            });
            unit.awaitIdentical(15);
            await().atMost(Duration.ofSeconds(5)).until(() ->
                    Boolean.TRUE.equals(unit.mirror().relay(Node.PRIMARY).appliesAsReplica()));
        }
    }
}
