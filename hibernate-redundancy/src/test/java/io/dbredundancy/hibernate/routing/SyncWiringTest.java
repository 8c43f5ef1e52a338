package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.RedundancyStatus;
import io.dbredundancy.hibernate.SyncException;
import io.dbredundancy.hibernate.SyncResult;
import io.dbredundancy.hibernate.VerifyResult;
import io.dbredundancy.hibernate.testbed.LinkProxy;
import io.dbredundancy.hibernate.testbed.LogCapture;
import io.dbredundancy.hibernate.testbed.PgServer;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import jakarta.persistence.EntityManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * What the runtime wires from the sync feature: the schema changelog applied to both databases at start, the
 * scheduled safety net in the status, and the sync tools on {@code Redundancy.of(emf)}.
 */
class SyncWiringTest {

    static final String CHANGELOG = "db/wiring-test/changelog.xml";

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    @RegisterExtension
    final LogCapture logs = new LogCapture();

    private static Map<String, Object> settings(String db) {
        pg.primary().dropDatabase(db);
        pg.secondary().dropDatabase(db);
        pg.createDatabase(db);
        return Jpa.settings(pg.primary().jdbcUrl(db), pg.primary(), pg.secondary().jdbcUrl(db), pg.secondary());
    }

    private static void exec(PgServer server, String db, String... sql) {
        try (Connection c = server.connect(db); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long query(PgServer server, String db, String sql) {
        try (Connection c = server.connect(db); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean hasTable(PgServer server, String db, String table) {
        return query(server, db, "select count(*) from pg_class where relname = '" + table + "' and relkind = 'r'") == 1;
    }

    @Test
    void theSchemaChangelogIsAppliedToBothDatabasesAtStart() {
        Map<String, Object> s = settings("wiring_schema");
        s.put("hibernate.redundancy.schema.changelog", CHANGELOG);
        try (EntityManagerFactory emf = Jpa.emf("wiring-schema", s)) {
            assertThat(hasTable(pg.primary(), "wiring_schema", "wiring_item")).isTrue();
            assertThat(hasTable(pg.secondary(), "wiring_schema", "wiring_item")).isTrue();
            assertThat(query(pg.secondary(), "wiring_schema", "select count(*) from databasechangelog")).isEqualTo(1);
        }
        // a second start finds both up to date
        try (EntityManagerFactory emf = Jpa.emf("wiring-schema-again", s)) {
            assertThat(query(pg.primary(), "wiring_schema", "select count(*) from databasechangelog")).isEqualTo(1);
        }
    }

    @Test
    void aChangelogThatFailsOnOneDatabaseStopsTheStartNamingThatDatabase() {
        Map<String, Object> s = settings("wiring_clash");
        exec(pg.secondary(), "wiring_clash", "create table wiring_clash (id bigint primary key)");
        s.put("hibernate.redundancy.schema.changelog", "db/wiring-test/clash.xml");

        assertThatThrownBy(() -> Jpa.emf("wiring-clash", s).close())
                .satisfies(e -> {
                    String m = e.getMessage();
                    assertThat(m).doesNotContain("\n").doesNotContain(pg.secondary().password())
                            .contains("hibernate.redundancy.schema.changelog")
                            .contains("secondary database")
                            .contains("127.0.0.1:" + pg.secondary().port())
                            .contains("already exists");
                });
        assertThat(hasTable(pg.primary(), "wiring_clash", "wiring_clash")).isTrue(); // the primary went first
        assertThat(logs.text()).doesNotContain(pg.secondary().password());
    }

    @Test
    void aChangelogMissingFromTheClasspathStopsTheStartWithOneLine() {
        Map<String, Object> s = settings("wiring_missing");
        s.put("hibernate.redundancy.schema.changelog", "db/wiring-test/nope.xml");
        assertThatThrownBy(() -> Jpa.emf("wiring-missing", s).close())
                .hasMessageContaining("hibernate.redundancy.schema.changelog")
                .hasMessageContaining("nope.xml")
                .hasMessageNotContaining("\n");
    }

    @Test
    void aDatabaseDownAtStartIsMigratedWhenItComesBack() {
        Map<String, Object> s = settings("wiring_late");
        LinkProxy proxy = pg.secondaryProxy();
        s.put("hibernate.redundancy.secondary.url", proxy.jdbcUrl("wiring_late"));
        s.put("hibernate.redundancy.schema.changelog", CHANGELOG);
        s.put("hibernate.redundancy.health.interval_ms", "300");
        proxy.cut();
        try (EntityManagerFactory emf = Jpa.emf("wiring-late", s)) {
            assertThat(hasTable(pg.primary(), "wiring_late", "wiring_item")).isTrue();
            assertThat(hasTable(pg.secondary(), "wiring_late", "wiring_item")).isFalse();
            assertThat(logs.linesContaining("down at start")).anyMatch(l -> l.contains("WARN")
                    && l.contains("secondary") && l.contains("redundancy migrate"));

            proxy.restore();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                    .until(() -> hasTable(pg.secondary(), "wiring_late", "wiring_item"));
        } finally {
            proxy.restore();
        }
    }

    @Test
    void theSafetyNetCopiesRowsWrittenBehindHibernatesBackAndShowsInTheStatus() {
        Map<String, Object> s = settings("wiring_net");
        s.put("hibernate.redundancy.schema.changelog", CHANGELOG);
        s.put("hibernate.redundancy.sync.interval_ms", "500");
        try (EntityManagerFactory emf = Jpa.emf("wiring-net", s)) {
            Redundancy r = Redundancy.of(emf);
            assertThat(r.status().lastSync()).isNull();
            exec(pg.primary(), "wiring_net", "insert into wiring_item (name) values ('behind hibernate')");

            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() ->
                    query(pg.secondary(), "wiring_net", "select count(*) from wiring_item where name = 'behind hibernate'") == 1);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                RedundancyStatus st = r.status();
                assertThat(st.lastSync()).isNotNull();
                assertThat(st.syncStatus()).isEqualTo("idle");
            });
            assertThat(r.status().toJson()).contains("\"lastSync\":\"").contains("\"syncStatus\":\"idle\"");
        }
        assertThat(logs.linesContaining("Safety-net incremental sync every 500 ms")).isNotEmpty();
    }

    @Test
    void theSyncToolsOfTheHandleWorkOnTheUnitsPoolsAndShowInTheStatus() {
        Map<String, Object> s = settings("wiring_tools");
        s.put("hibernate.redundancy.schema.changelog", CHANGELOG);
        exec(pg.primary(), "wiring_tools", "create table plain (id int primary key, v text)",
                "insert into plain select g, 'v' || g from generate_series(1, 300) g");
        exec(pg.secondary(), "wiring_tools", "create table plain (id int primary key, v text)");
        try (EntityManagerFactory emf = Jpa.emf("wiring-tools", s)) {
            Redundancy r = Redundancy.of(emf);
            exec(pg.primary(), "wiring_tools",
                    "insert into wiring_item (name) select 'i' || g from generate_series(1, 200) g");
            assertThat(r.status().syncStatus()).isEqualTo("idle");
            assertThat(r.status().lastSync()).isNull();

            VerifyResult before = r.verify();
            assertThat(before.identical()).isFalse();
            assertThat(r.status().lastSync()).isNotNull();

            SyncResult full = r.syncFull(Node.SECONDARY);
            assertThat(full.target()).isEqualTo(Node.SECONDARY);
            assertThat(query(pg.secondary(), "wiring_tools", "select count(*) from wiring_item")).isEqualTo(200);
            assertThat(query(pg.secondary(), "wiring_tools", "select count(*) from plain")).isEqualTo(300);
            assertThat(r.verify().identical()).isTrue();

            exec(pg.primary(), "wiring_tools", "insert into wiring_item (name) values ('late')");
            r.syncIncremental(Node.SECONDARY);
            assertThat(query(pg.secondary(), "wiring_tools", "select count(*) from wiring_item where name = 'late'"))
                    .isEqualTo(1);

            exec(pg.secondary(), "wiring_tools", "update plain set v = 'changed' where id = 150");
            VerifyResult one = r.verify();
            assertThat(one.identical()).isFalse();
            assertThat(one.differences()).hasSize(1);
            assertThat(one.differences().get(0).table()).contains("plain");
            SyncResult repaired = r.repair(Node.SECONDARY);
            assertThat(repaired.rows()).isEqualTo(1);
            assertThat(r.verify().identical()).isTrue();

            List<String> moved = r.alignSequences(Node.SECONDARY);
            assertThat(moved).isNotNull();
            assertThat(query(pg.secondary(), "wiring_tools", "select nextval('wiring_item_id_seq')")).isGreaterThan(201);
            assertThat(r.status().syncStatus()).isEqualTo("idle");

            // a failed run shows as failed, with its time; the next good one as idle
            exec(pg.primary(), "wiring_tools", "alter table plain add column extra int");
            assertThatThrownBy(() -> r.syncIncremental(Node.SECONDARY)).isInstanceOf(SyncException.class);
            assertThat(r.status().syncStatus()).isEqualTo("failed");
            assertThat(r.status().lastSync()).isNotNull();
            exec(pg.secondary(), "wiring_tools", "alter table plain add column extra int");
            r.syncIncremental(Node.SECONDARY);
            assertThat(r.status().syncStatus()).isEqualTo("idle");
        }
    }

    @Test
    void withoutASecondaryTheSyncToolsSaySoInOneLine() {
        Map<String, Object> s = settings("wiring_alone");
        s.remove("hibernate.redundancy.secondary.url");
        s.remove("hibernate.redundancy.secondary.user");
        s.remove("hibernate.redundancy.secondary.password");
        try (EntityManagerFactory emf = Jpa.emf("wiring-alone", s)) {
            assertThatThrownBy(() -> Redundancy.of(emf).verify()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("hibernate.redundancy.secondary.url");
        }
    }
}
