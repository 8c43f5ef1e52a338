package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.mirror.copy.Parent;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

/**
 * The failback gate holds while the secondary's journal has a backlog, however young, and lets failback go once the
 * relay applied it; it never waits on a database, so a frozen secondary cannot hold the health thread.
 */
@org.junit.jupiter.api.Tag("data-integrity")
class MirrorFailbackGateTest {

    static final Class<?>[] MODEL = {Parent.class};

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    static MirrorUnit unit;

    @BeforeAll
    static void start() {
        MirrorUnit.prepare(pg, MODEL);
        unit = new MirrorUnit(pg, "mirror-gate", Map.of(), MODEL);
    }

    @AfterAll
    static void stop() {
        if (unit != null) {
            unit.close();
        }
    }

    @Test
    void aYoungBacklogOnTheSecondaryHoldsFailbackUntilItIsApplied() throws Exception {
        try (Connection hold = pg.secondary().connect(MirrorUnit.DB); Statement h = hold.createStatement()) {
            // the relay from the secondary waits; a change journaled there a moment ago is its backlog
            h.execute("SELECT pg_advisory_lock(" + Relay.lockKey(Node.SECONDARY) + ")");
            try (Connection c = pg.secondary().connect(MirrorUnit.DB); Statement st = c.createStatement()) {
                st.execute("INSERT INTO parent (id, name) VALUES (424242, 'written on the secondary')");
                st.execute("INSERT INTO redundancy_journal (tx_id, epoch, origin, table_name, op, row_key, row_image)"
                        + " SELECT txid_current(), 1, 'secondary', 'parent', 'I', '{\"id\": 424242}', to_jsonb(p)"
                        + " FROM parent p WHERE id = 424242");
            }
            assertThat(unit.mirror().failbackHold()).as("a backlog younger than a second holds failback")
                    .contains("not yet applied");
            h.execute("SELECT pg_advisory_unlock(" + Relay.lockKey(Node.SECONDARY) + ")");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> unit.mirror().failbackHold() == null);
        assertThat(unit.count(Node.PRIMARY, "SELECT count(*) FROM parent WHERE id = 424242")).isEqualTo(1);
    }

    @Test
    void aFrozenSecondaryDoesNotHoldTheCaller() {
        pg.secondary().freeze();
        try {
            assertThatCode(() -> org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(5),
                    () -> unit.mirror().failbackHold())).doesNotThrowAnyException();
        } finally {
            pg.secondary().thaw();
        }
    }
}
