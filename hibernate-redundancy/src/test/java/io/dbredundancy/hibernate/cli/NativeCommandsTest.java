package io.dbredundancy.hibernate.cli;

import io.dbredundancy.hibernate.testbed.PgServer;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code redundancy native setup|status|teardown} and {@code check} against two real servers with logical WAL. */
class NativeCommandsTest {

    private static final String DB = "clinative";

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair(PostgresPair.logical());

    private static Map<String, String> env() {
        return Map.of("DATABASE_URL", pg.primary().uri(DB), "DATABASE_URL_SECONDARY", pg.secondary().uri(DB));
    }

    @Test
    void setupIsIdempotentStatusFollowsBothDirectionsAndTeardownRemovesIt() throws Exception {
        for (PgServer s : List.of(pg.primary(), pg.secondary())) {
            s.createDatabase(DB);
            try (Connection c = s.connect(DB); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE item (id bigint PRIMARY KEY, name text)");
            }
        }
        try (Connection c = pg.primary().connect(DB); Statement st = c.createStatement()) {
            st.execute("INSERT INTO item SELECT g, 'row ' || g FROM generate_series(1, 100) g");
        }
        Cli check = Cli.run(env(), "native", "setup", "--unit", "shop", "--check");
        assertThat(check.exitCode()).as(check.toString()).isZero();

        Cli setup = Cli.run(env(), "native", "setup", "--unit", "shop");
        assertThat(setup.exitCode()).as(setup.toString()).isZero();
        assertThat(setup.out()).contains("secondary: subscription redundancy_shop_from_primary to the primary (copying its rows first)")
                .contains("primary: subscription redundancy_shop_from_secondary to the secondary");
        Cli again = Cli.run(env(), "native", "setup", "--unit", "shop");
        assertThat(again.exitCode()).as(again.toString()).isZero();
        assertThat(again.out()).doesNotContain("subscription redundancy_shop");

        assertThat(count(pg.secondary(), "SELECT count(*) FROM item")).as("the initial copy").isEqualTo(100);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            Cli status = Cli.run(env(), "native", "status", "--unit", "shop");
            assertThat(status.exitCode()).as(status.toString()).isZero();
            assertThat(status.out()).contains("primary   -> secondary streaming").contains("secondary -> primary   streaming");
        });
        Cli doctor = Cli.run(env(), "check");
        assertThat(doctor.out()).contains("native replication (mirror.mode=native, not configured)")
                .contains("[ok  ] native");
        Cli other = Cli.run(env(), "native", "setup", "--unit", "other", "--check");
        assertThat(other.exitCode()).isEqualTo(ExitCodes.DIFFERENCES);
        assertThat(other.out()).contains("missing: primary: publication redundancy_shop of another unit already"
                + " replicates this database: name that unit (--unit shop)");

        Cli teardown = Cli.run(env(), "native", "teardown", "--unit", "shop");
        assertThat(teardown.exitCode()).as(teardown.toString()).isZero();
        for (PgServer s : List.of(pg.primary(), pg.secondary())) {
            assertThat(count(s, "SELECT (SELECT count(*) FROM pg_subscription) + (SELECT count(*) FROM pg_publication)"
                    + " + (SELECT count(*) FROM pg_replication_slots)")).isZero();
        }
        Cli gone = Cli.run(env(), "native", "status", "--unit", "shop");
        assertThat(gone.exitCode()).isEqualTo(ExitCodes.DIFFERENCES);
        assertThat(gone.out()).contains("missing").doesNotContain(pg.primary().password());
    }

    private static long count(PgServer s, String sql) throws Exception {
        try (Connection c = s.connect(DB); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
