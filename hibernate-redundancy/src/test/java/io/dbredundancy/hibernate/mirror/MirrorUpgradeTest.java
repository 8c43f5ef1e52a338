package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.mirror.copy.Basket;
import io.dbredundancy.hibernate.mirror.copy.Parent;
import io.dbredundancy.hibernate.sync.Migrations;
import io.dbredundancy.hibernate.testbed.PgServer;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A database whose library tables are at schema version 7 (the changelog as released, kept in test resources) and
 * whose journal holds entries not yet applied is migrated by the plugin's Liquibase changelog at start, and those
 * entries then reach the other database.
 */
@org.junit.jupiter.api.Tag("data-integrity")
class MirrorUpgradeTest {

    static final Class<?>[] MODEL = {Parent.class, Basket.class};

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    @Test
    void aVersion7JournalWithPendingEntriesIsMigratedAndItsEntriesApplied() throws Exception {
        MirrorUnit.prepare(pg, MODEL);
        for (PgServer server : List.of(pg.primary(), pg.secondary())) {
            try (Connection c = server.connect(MirrorUnit.DB)) {
                Migrations.apply(c, "db/redundancy-v7/changelog.xml", getClass().getClassLoader());
            }
        }
        try (Connection c = pg.primary().connect(MirrorUnit.DB); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("INSERT INTO parent (id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three')");
            st.execute("INSERT INTO basket (id, name) VALUES (7, 'basket')");
            st.execute("INSERT INTO basket_item (basket_id, item) VALUES (7, 'a'), (7, 'b')");
            st.execute("SELECT redundancy_capture(1, 'primary', '[{\"t\":\"parent\",\"op\":\"I\",\"k\":{\"id\":1}},"
                    + "{\"t\":\"parent\",\"op\":\"I\",\"k\":{\"id\":2}},{\"t\":\"parent\",\"op\":\"I\",\"k\":{\"id\":3}},"
                    + "{\"t\":\"basket\",\"op\":\"I\",\"k\":{\"id\":7}},{\"t\":\"basket_item\",\"op\":\"C\",\"k\":{\"basket_id\":7}}]'),"
                    + " b.xid FROM redundancy_tx_begin(gen_random_uuid(), 'primary', 1) AS b(xid)");
            st.execute("UPDATE parent SET name = 'two, later' WHERE id = 2");
            st.execute("SELECT redundancy_capture(1, 'primary', '[{\"t\":\"parent\",\"op\":\"U\",\"k\":{\"id\":2}}]'),"
                    + " b.xid FROM redundancy_tx_begin(gen_random_uuid(), 'primary', 1) AS b(xid)");
            c.commit();
        }
        assertThat(version(pg.primary())).isEqualTo(7);
        MirrorUnit unit = new MirrorUnit(pg, "mirror-upgrade", Map.of(), MODEL);
        try {
            unit.awaitIdentical(15);
            assertThat(unit.count(Node.SECONDARY, "SELECT count(*) FROM parent")).isEqualTo(3);
            assertThat(unit.count(Node.SECONDARY, "SELECT count(*) FROM basket_item")).isEqualTo(2);
            assertThat(unit.count(Node.PRIMARY, "SELECT count(*) FROM redundancy_journal")).isZero();
            assertThat(version(pg.primary())).isEqualTo(MirrorRuntime.SCHEMA_VERSION);
            assertThat(version(pg.secondary())).isEqualTo(MirrorRuntime.SCHEMA_VERSION);
            // and the migrated databases mirror new changes
            MirrorFixture.inTx(unit.sf, s -> s.find(Parent.class, 3L).name = "three, after the upgrade");
            unit.awaitIdentical(10);
        } finally {
            unit.close();
        }
    }

    private static int version(PgServer server) throws SQLException {
        try (Connection c = server.connect(MirrorUnit.DB); Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT redundancy_mirror_schema_version()")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
