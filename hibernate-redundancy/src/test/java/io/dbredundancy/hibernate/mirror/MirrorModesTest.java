package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.RedundancySettings;
import io.dbredundancy.hibernate.mirror.model.Marked;
import io.dbredundancy.hibernate.mirror.model.Note;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import static io.dbredundancy.hibernate.mirror.MirrorFixture.get;
import static io.dbredundancy.hibernate.mirror.MirrorFixture.inTx;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** mirror.mode (sync, off), mirror.scope=annotated, and entries the other side rejects. */
@org.junit.jupiter.api.Tag("data-integrity")
class MirrorModesTest {

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    @BeforeAll
    static void schema() {
        MirrorUnit.prepare(pg, MirrorFixture.MODEL);
    }

    private static long notes(MirrorUnit unit, Node n, String text) throws Exception {
        return unit.count(n, "SELECT count(*) FROM note WHERE text = '" + text + "'");
    }

    private static void note(MirrorUnit unit, String text) {
        inTx(unit.sf, s -> {
            s.persist(new Note(text));
        });
    }

    @Test
    void syncModeHasTheRowOnTheSecondaryWhenCommitReturns() throws Exception {
        try (MirrorUnit unit = new MirrorUnit(pg, "mirror-sync", Map.of(RedundancySettings.MIRROR_MODE, "sync"),
                MirrorFixture.MODEL)) {
            for (int i = 0; i < 20; i++) {
                note(unit, "sync " + i);
                assertThat(notes(unit, Node.SECONDARY, "sync " + i)).as("row %d on the secondary at commit", i).isEqualTo(1);
            }
            assertThat(unit.redundancy.status().mirror().mode()).isEqualTo("sync");
        }
    }

    @Test
    void syncModeFallsBackToTheJournalWhenTheSecondaryIsDownAndSaysSo() throws Exception {
        try (MirrorUnit unit = new MirrorUnit(pg, "mirror-sync-down", Map.of(RedundancySettings.MIRROR_MODE, "sync"),
                MirrorFixture.MODEL)) {
            pg.secondary().stop();
            long start = System.nanoTime();
            note(unit, "sync while down");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
            assertThat(unit.redundancy.status().mirror().note()).contains("fell back to the journal");
            pg.secondary().restart();
            await().atMost(Duration.ofSeconds(20)).until(() -> notes(unit, Node.SECONDARY, "sync while down") == 1);
            note(unit, "sync again");
            assertThat(notes(unit, Node.SECONDARY, "sync again")).isEqualTo(1);
            assertThat(unit.redundancy.status().mirror().note()).isNull();
        }
    }

    @Test
    void annotatedScopeMirrorsOnlyEntitiesCarryingMirrorListener() throws Exception {
        try (MirrorUnit unit = new MirrorUnit(pg, "mirror-annotated", Map.of(RedundancySettings.MIRROR_SCOPE, "annotated"),
                MirrorFixture.MODEL)) {
            note(unit, "not annotated");
            Long id = get(unit.sf, s -> {
                Marked m = new Marked();
                m.value = "annotated";
                s.persist(m);
                return m.id;
            });
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    unit.count(Node.SECONDARY, "SELECT count(*) FROM marked WHERE id = " + id) == 1);
            assertThat(notes(unit, Node.SECONDARY, "not annotated")).isZero();
            assertThat(notes(unit, Node.PRIMARY, "not annotated")).isEqualTo(1);
        }
    }

    @Test
    void modeOffMirrorsNothing() throws Exception {
        try (MirrorUnit unit = new MirrorUnit(pg, "mirror-off", Map.of(RedundancySettings.MIRROR_MODE, "off"),
                MirrorFixture.MODEL)) {
            assertThat(unit.mirror()).isNull();
            note(unit, "mode off");
            Thread.sleep(500);
            assertThat(notes(unit, Node.SECONDARY, "mode off")).isZero();
            assertThat(unit.redundancy.status().mirror().mode()).isEqualTo("off");
        }
    }

    @Test
    void anEntryTheSecondaryRejectsIsParkedAndDoesNotHoldBackTheOthers() throws Exception {
        try (Connection c = pg.secondary().connect(MirrorUnit.DB); Statement st = c.createStatement()) {
            st.execute("ALTER TABLE note ADD CONSTRAINT no_forbidden CHECK (text <> 'forbidden')");
        }
        try (MirrorUnit unit = new MirrorUnit(pg, "mirror-parked", Map.of(), MirrorFixture.MODEL)) {
            note(unit, "forbidden");
            note(unit, "fine after");
            await().atMost(Duration.ofSeconds(10)).until(() -> notes(unit, Node.SECONDARY, "fine after") == 1);
            assertThat(notes(unit, Node.SECONDARY, "forbidden")).isZero();
            assertThat(unit.count(Node.PRIMARY, "SELECT count(*) FROM redundancy_parked WHERE error LIKE '%no_forbidden%'"))
                    .isEqualTo(1);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(unit.redundancy.status().mirror().parked()).isEqualTo(1));
            assertThat(unit.mirror().drainedTo(Node.SECONDARY)).isTrue();
        } finally {
            try (Connection c = pg.secondary().connect(MirrorUnit.DB); Statement st = c.createStatement()) {
                st.execute("ALTER TABLE note DROP CONSTRAINT no_forbidden");
            }
        }
    }

    @Test
    void entityChangesMarkNoTableButBulkAndNativeMutationsReachTheSecondary() throws Exception {
        try (MirrorUnit unit = new MirrorUnit(pg, "mirror-bulk", Map.of(), MirrorFixture.MODEL)) {
            try (Connection c = pg.primary().connect(MirrorUnit.DB); Statement st = c.createStatement()) {
                st.execute("DELETE FROM redundancy_dirty_table");
            }
            Long id = get(unit.sf, s -> {
                io.dbredundancy.hibernate.mirror.model.Vehicle v = new io.dbredundancy.hibernate.mirror.model.Vehicle();
                v.plate = "entity";
                s.persist(v);
                return v.id;
            });
            inTx(unit.sf, s -> {
                s.find(io.dbredundancy.hibernate.mirror.model.Vehicle.class, id).plate = "entity 2";
            });
            assertThat(unit.count(Node.PRIMARY, "SELECT count(*) FROM redundancy_dirty_table")).isZero();
            note(unit, "nothing");
            inTx(unit.sf, s -> {
                s.createMutationQuery("update Note set text = 'bulk' where text = 'nothing'").executeUpdate();
                s.createNativeMutationQuery("UPDATE category SET label = label WHERE code = 'none'").executeUpdate();
            });
            unit.awaitIdentical(15);
            assertThat(notes(unit, Node.SECONDARY, "bulk")).isEqualTo(notes(unit, Node.PRIMARY, "bulk")).isPositive();
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    unit.count(Node.PRIMARY, "SELECT count(*) FROM redundancy_dirty_table") == 0);
        }
    }
}
