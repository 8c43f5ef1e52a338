package io.dbredundancy.hibernate.testbed;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class PostgresPairTest {

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    @Test
    void startsTwoSeparateServersThatNeedThePassword() throws Exception {
        assertThat(pg.primary().port()).isNotEqualTo(pg.secondary().port());
        assertThat(pg.primary().password()).isNotEqualTo(pg.secondary().password());
        assertThat(serverPort(pg.primary().jdbcUrl(), pg.primary(), 10)).isEqualTo(pg.primary().port());
        assertThat(serverPort(pg.secondary().jdbcUrl(), pg.secondary(), 10)).isEqualTo(pg.secondary().port());
        assertThatThrownBy(() -> DriverManager.getConnection(pg.primary().jdbcUrl(), "postgres", "wrong"))
                .isInstanceOf(SQLException.class);
        try (Connection c = pg.primary().connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SHOW max_connections")) {
            rs.next();
            assertThat(rs.getInt(1)).isGreaterThanOrEqualTo(200);
        }
    }

    @Test
    void createsNamedDatabases() throws Exception {
        String url = pg.primary().createDatabase("orders_test");
        pg.primary().createDatabase("orders_test"); // idempotent
        assertThat(url).endsWith("/orders_test");
        try (Connection c = pg.primary().connect("orders_test"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_database()")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("orders_test");
        }
    }

    @Test
    void kill9RefusesNewConnectionsAtOnceAndRestartKeepsTheData() throws Exception {
        PgServer primary = pg.primary();
        exec(primary, "CREATE TABLE IF NOT EXISTS survivor(id int primary key)", "INSERT INTO survivor VALUES (42) ON CONFLICT DO NOTHING");
        long pid = primary.postmasterPid().orElseThrow();
        java.util.List<Long> tree = Proc.tree(pid);
        assertThat(tree.size()).isGreaterThan(3); // postmaster + checkpointer, walwriter, ...

        primary.kill9();

        assertThat(primary.isRunning()).isFalse();
        assertThat(tree).noneMatch(Proc::isAlive);
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> serverPort(primary.jdbcUrl(), primary, 10)).isInstanceOf(SQLException.class);
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(2_000);

        primary.restart();

        assertThat(primary.isRunning()).isTrue();
        try (Connection c = primary.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id FROM survivor")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).isEqualTo(42);
        }
    }

    @Test
    void freezeStopsEveryServerProcessUntilThaw() throws Exception {
        PgServer primary = pg.primary();
        try (Connection open = connectionWithQueryTimeout(primary.jdbcUrl(), primary, 1)) {
            primary.freeze();
            try {
                long pid = primary.postmasterPid().orElseThrow();
                assertThat(Proc.tree(pid)).allMatch(p -> Proc.state(p) == 'T');
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> {
                    try (Statement s = open.createStatement()) {
                        s.execute("SELECT 1");
                    }
                }).isInstanceOf(SQLException.class);
                assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(500L, 5_000L);
                // a new connection hangs too (TCP is accepted by the kernel, nobody answers)
                assertThatThrownBy(() -> serverPort(primary.jdbcUrl(), primary, 1)).isInstanceOf(SQLException.class);
            } finally {
                primary.thaw();
            }
        }
        assertThat(serverPort(primary.jdbcUrl(), primary, 10)).isEqualTo(primary.port());
    }

    @Test
    void stopAndRestartOnTheSamePort() throws Exception {
        PgServer secondary = pg.secondary();
        int port = secondary.port();
        secondary.stop();
        assertThat(secondary.isRunning()).isFalse();
        assertThat(PgServer.portOpen(port)).isFalse();
        secondary.restart();
        assertThat(serverPort(secondary.jdbcUrl(), secondary, 10)).isEqualTo(port);
    }

    @Test
    void proxyCutBreaksOpenConnectionsAndRefusesNewOnesUntilRestored() throws Exception {
        LinkProxy proxy = pg.primaryProxy();
        PgServer primary = pg.primary();
        try (Connection open = connection(proxy.jdbcUrl(), primary, 10)) {
            assertThat(query(open)).isEqualTo(primary.port());
            proxy.cut();
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> query(open)).isInstanceOf(SQLException.class);
            assertThatThrownBy(() -> serverPort(proxy.jdbcUrl(), primary, 10)).isInstanceOf(SQLException.class);
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(3_000);
        }
        proxy.restore();
        assertThat(serverPort(proxy.jdbcUrl(), primary, 10)).isEqualTo(primary.port());
    }

    @Test
    void proxyFreezeHangsQueriesAndNewConnectionsUntilRestored() throws Exception {
        LinkProxy proxy = pg.secondaryProxy();
        PgServer secondary = pg.secondary();
        try (Connection open = connectionWithQueryTimeout(proxy.jdbcUrl(), secondary, 1)) {
            assertThat(query(open)).isEqualTo(secondary.port());
            proxy.freeze();
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> query(open)).isInstanceOf(SQLException.class);
            assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(500L, 5_000L);
            assertThatThrownBy(() -> serverPort(proxy.jdbcUrl(), secondary, 1)).isInstanceOf(SQLException.class);
            // the server itself is fine
            assertThat(serverPort(secondary.jdbcUrl(), secondary, 10)).isEqualTo(secondary.port());
        }
        proxy.restore();
        assertThat(serverPort(proxy.jdbcUrl(), secondary, 10)).isEqualTo(secondary.port());
    }

    @Test
    void healUndoesFaultsLeftBehind() throws Exception {
        pg.primary().freeze();
        pg.secondary().kill9();
        pg.primaryProxy().cut();
        pg.heal();
        assertThat(serverPort(pg.primaryProxy().jdbcUrl(), pg.primary(), 10)).isEqualTo(pg.primary().port());
        assertThat(serverPort(pg.secondary().jdbcUrl(), pg.secondary(), 10)).isEqualTo(pg.secondary().port());
    }

    static Connection connection(String url, PgServer server, int timeoutSeconds) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", server.user());
        p.setProperty("password", server.password());
        p.setProperty("connectTimeout", String.valueOf(timeoutSeconds));
        p.setProperty("socketTimeout", String.valueOf(timeoutSeconds));
        p.setProperty("loginTimeout", String.valueOf(timeoutSeconds));
        return DriverManager.getConnection(url, p);
    }

    /** Logs in with a generous timeout (a loaded machine), then lets every query wait {@code seconds} at most. */
    static Connection connectionWithQueryTimeout(String url, PgServer server, int seconds) throws SQLException {
        Connection c = connection(url, server, 10);
        c.setNetworkTimeout(Runnable::run, seconds * 1000);
        return c;
    }

    /** Opens a connection and asks the server which port it serves. */
    static int serverPort(String url, PgServer server, int timeoutSeconds) throws SQLException {
        try (Connection c = connection(url, server, timeoutSeconds)) {
            return query(c);
        }
    }

    static int query(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT inet_server_port()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    static void exec(PgServer server, String... sql) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }
}
