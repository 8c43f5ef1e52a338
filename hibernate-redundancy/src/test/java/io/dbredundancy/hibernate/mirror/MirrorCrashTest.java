package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.RedundancySettings;
import io.dbredundancy.hibernate.testbed.ChildJvm;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The application dies (kill -9) right after its commits, before its relay ran: nothing is lost. */
@org.junit.jupiter.api.Tag("data-integrity")
class MirrorCrashTest {

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    @BeforeAll
    static void schema() {
        MirrorUnit.prepare(pg, MirrorFixture.MODEL);
    }

    @Test
    void commitsOfAnApplicationKilledBeforeItsRelayRanReachTheSecondaryAfterARestart() throws Exception {
        int count = 50;
        // hold the primary journal's relay lock, as if the relay were slow: the child's relay cannot apply anything
        try (Connection lock = pg.primary().connect(MirrorUnit.DB)) {
            // the first start of a unit applies the library's tables; do it here so the lock can be taken
            new MirrorUnit(pg, "crash-setup", Map.of(), MirrorFixture.MODEL).close();
            try (PreparedStatement ps = lock.prepareStatement("SELECT pg_advisory_lock(?)")) {
                ps.setLong(1, Relay.lockKey(Node.PRIMARY));
                ps.executeQuery().close();
            }
            try (ChildJvm child = ChildJvm.builder(CrashingWriter.class)
                    .arg(pg.primary().jdbcUrl(MirrorUnit.DB)).arg(pg.primary().user()).arg(pg.primary().password())
                    .arg(pg.secondary().jdbcUrl(MirrorUnit.DB)).arg(pg.secondary().user()).arg(pg.secondary().password())
                    .arg(Integer.toString(count)).start()) {
                child.awaitLine("DONE"::equals, Duration.ofSeconds(60));
                child.kill9();
                child.waitFor(Duration.ofSeconds(10));
            }
        }
        try (MirrorUnit probe = new MirrorUnit(pg, "crash-check", Map.of(RedundancySettings.MIRROR_MODE, "off"), MirrorFixture.MODEL)) {
            assertThat(probe.count(Node.PRIMARY, "SELECT count(*) FROM note WHERE text LIKE 'crash %'")).isEqualTo(count);
            assertThat(probe.count(Node.SECONDARY, "SELECT count(*) FROM note WHERE text LIKE 'crash %'")).isZero();
            assertThat(probe.count(Node.PRIMARY, "SELECT count(*) FROM redundancy_journal")).isGreaterThanOrEqualTo(count);
        }
        // the application starts again: its relay drains what the dead one journaled
        try (MirrorUnit restarted = new MirrorUnit(pg, "crash-restart", Map.of(), MirrorFixture.MODEL)) {
            restarted.awaitIdentical(20);
            assertThat(restarted.count(Node.SECONDARY, "SELECT count(*) FROM note WHERE text LIKE 'crash %'")).isEqualTo(count);
        }
    }
}
