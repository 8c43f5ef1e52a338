package io.dbredundancy.hibernate.replication;

import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.RedundancySettings;
import io.dbredundancy.hibernate.testbed.PgBouncerServer;
import io.dbredundancy.hibernate.testbed.PgServer;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Each prerequisite of {@code mirror.mode=native} missing in turn, on real servers: one line each, naming it and the
 * fix, never a password; and a PgBouncer primary whose subscription goes to the direct host.
 */
class NativePrerequisitesTest {

    private static final String DB = "prereq";
    private static final String APP_PASSWORD = "app-pw-Secret/42";

    /** The bed's defaults: wal_level=minimal, max_wal_senders=0. */
    @RegisterExtension
    static final PostgresPair plain = new PostgresPair();

    @RegisterExtension
    static final PostgresPair logical = new PostgresPair(PostgresPair.logical());

    private static Map<String, Object> settings(PgServer p, String primaryUrl, PgServer s) {
        Map<String, Object> m = new HashMap<>();
        m.put(RedundancySettings.PRIMARY_URL, primaryUrl);
        m.put(RedundancySettings.PRIMARY_USER, p.user());
        m.put(RedundancySettings.PRIMARY_PASSWORD, p.password());
        m.put(RedundancySettings.SECONDARY_URL, s.jdbcUrl(DB));
        m.put(RedundancySettings.SECONDARY_USER, s.user());
        m.put(RedundancySettings.SECONDARY_PASSWORD, s.password());
        return m;
    }

    private static NativeReplication replication(Map<String, Object> settings) {
        RedundancyConfig config = RedundancyConfig.from(settings, Map.of());
        return new NativeReplication(config.primary(), config.secondary().orElseThrow(), "prereq", 5);
    }

    private static void createDb(PostgresPair pair) {
        for (PgServer server : List.of(pair.primary(), pair.secondary())) {
            try (Connection c = server.connect(); ResultSet rs = c.createStatement().executeQuery(
                    "SELECT 1 FROM pg_database WHERE datname = '" + DB + "'")) {
                if (rs.next()) {
                    continue;
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            server.createDatabase(DB);
        }
    }

    private static void exec(PgServer server, String... sql) throws Exception {
        try (Connection c = server.connect(DB); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    private static void assertOneLineEach(List<String> problems, String... secrets) {
        for (String p : problems) {
            assertThat(p).doesNotContain("\n");
            for (String secret : secrets) {
                assertThat(p).doesNotContain(secret);
            }
        }
    }

    @Test
    void walLevelAndWalSendersAreNamedOnEachNode() {
        createDb(plain);
        List<String> problems = replication(settings(plain.primary(), plain.primary().jdbcUrl(DB), plain.secondary()))
                .problems();
        assertThat(problems).anyMatch(p -> p.startsWith("primary: wal_level is minimal") && p.contains("ALTER SYSTEM SET wal_level = logical"))
                .anyMatch(p -> p.startsWith("secondary: wal_level is minimal"))
                .anyMatch(p -> p.startsWith("primary: no free WAL sender (max_wal_senders)"))
                .anyMatch(p -> p.startsWith("primary: no replication connection to 127.0.0.1:"));
        assertOneLineEach(problems, plain.primary().password(), plain.secondary().password());
    }

    @Test
    void aRoleWithoutReplicationRightsAndAMissingTableAreNamed() throws Exception {
        createDb(logical);
        for (PgServer server : List.of(logical.primary(), logical.secondary())) {
            exec(server, "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app') THEN"
                    + " CREATE ROLE app LOGIN PASSWORD '" + APP_PASSWORD + "'; END IF; END $$",
                    "GRANT CREATE ON DATABASE " + DB + " TO app");
        }
        exec(logical.primary(), "CREATE TABLE IF NOT EXISTS only_here (id bigint PRIMARY KEY)");
        Map<String, Object> s = settings(logical.primary(), logical.primary().jdbcUrl(DB), logical.secondary());
        s.put(RedundancySettings.PRIMARY_USER, "app");
        s.put(RedundancySettings.PRIMARY_PASSWORD, APP_PASSWORD);
        List<String> problems = replication(s).problems();
        assertThat(problems)
                .anyMatch(p -> p.equals("primary: role app lacks REPLICATION: the other database's subscription"
                        + " connects with it; run ALTER ROLE app REPLICATION as a superuser"))
                .anyMatch(p -> p.startsWith("primary: role app may not create the subscription: GRANT pg_create_subscription TO app"))
                .anyMatch(p -> p.startsWith("secondary: lacks table(s) only_here that the primary has"))
                .noneMatch(p -> p.startsWith("secondary: role"));
        assertOneLineEach(problems, APP_PASSWORD, logical.primary().password(), logical.secondary().password());
        exec(logical.primary(), "DROP TABLE only_here");
    }

    @Test
    void aPgBouncerPrimaryNeedsItsDirectAddressAndThenReplicatesThroughIt() throws Exception {
        PgBouncerServer.require();
        createDb(logical);
        for (PgServer server : List.of(logical.primary(), logical.secondary())) {
            exec(server, "CREATE TABLE IF NOT EXISTS item (id bigint PRIMARY KEY, name text)");
        }
        try (PgBouncerServer bouncer = PgBouncerServer.start(logical.primary())) {
            Map<String, Object> s = settings(logical.primary(), bouncer.jdbcUrl(DB) + "?pgbouncer=true", logical.secondary());
            assertThat(replication(s).problems()).anyMatch(p -> p.equals("primary: " + RedundancySettings.PRIMARY_URL
                    + " goes through a pooler, and replication does not pass PgBouncer's transaction mode: set "
                    + RedundancySettings.PRIMARY_REPLICATION_URL + " to the server's direct address (Neon: the same host"
                    + " without -pooler)"));

            s.put(RedundancySettings.PRIMARY_REPLICATION_URL, logical.primary().jdbcUrl(DB));
            NativeReplication r = replication(s);
            assertThat(r.problems()).isEmpty();
            r.setup(Duration.ofSeconds(30));
            try (Connection c = r.open(io.dbredundancy.hibernate.Node.PRIMARY); Statement st = c.createStatement()) {
                assertThat(c.getMetaData().getURL()).contains(Integer.toString(bouncer.port()));
                st.executeUpdate("INSERT INTO item VALUES (1, 'through pgbouncer')");
            }
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                try (Connection c = logical.secondary().connect(DB); ResultSet rs = c.createStatement()
                        .executeQuery("SELECT name FROM item WHERE id = 1")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString(1)).isEqualTo("through pgbouncer");
                }
            });
            assertThat(r.teardown()).noneMatch(l -> l.contains("not reached"));
            try (Connection c = logical.secondary().connect(DB); ResultSet rs = c.createStatement()
                    .executeQuery("SELECT (SELECT count(*) FROM pg_subscription) + (SELECT count(*) FROM pg_publication)")) {
                rs.next();
                assertThat(rs.getLong(1)).as("teardown leaves no subscription or publication").isZero();
            }
        }
    }
}
