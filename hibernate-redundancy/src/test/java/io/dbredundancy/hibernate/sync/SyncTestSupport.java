package io.dbredundancy.hibernate.sync;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.NodeConfig;
import io.dbredundancy.hibernate.RedundancyConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Two real PostgreSQL servers (zonky embedded) with password authentication and a database {@code app} owned by
 * user {@code app}. Stand-in for the shared test bed until it lands.
 */
public final class SyncTestSupport implements AutoCloseable {

    public static final String USER = "app";
    public static final String PASSWORD = "s3cret-Pw-42";

    final EmbeddedPostgres primary;
    final EmbeddedPostgres secondary;

    private SyncTestSupport(EmbeddedPostgres primary, EmbeddedPostgres secondary) {
        this.primary = primary;
        this.secondary = secondary;
    }

    private static SyncTestSupport shared;

    /**
     * The two servers every sync and CLI test class of this JVM shares (started once, stopped when the JVM exits);
     * each test resets the schema it needs.
     */
    public static synchronized SyncTestSupport shared() throws Exception {
        if (shared == null) {
            shared = start();
            SyncTestSupport s = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // the JVM is going away
                }
            }, "db-redundancy-test-servers-stop"));
        }
        return shared;
    }

    public static SyncTestSupport start() throws Exception {
        CompletableFuture<EmbeddedPostgres> p = CompletableFuture.supplyAsync(SyncTestSupport::startOne);
        CompletableFuture<EmbeddedPostgres> s = CompletableFuture.supplyAsync(SyncTestSupport::startOne);
        return new SyncTestSupport(p.get(), s.get());
    }

    private static EmbeddedPostgres startOne() {
        try {
            Path dir = Files.createTempDirectory("redundancy-sync-pg");
            EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(dir).setCleanDataDirectory(true)
                    .setServerConfig("fsync", "off").setServerConfig("synchronous_commit", "off")
                    .setServerConfig("full_page_writes", "off").setServerConfig("max_connections", "60")
                    .start();
            try (Connection c = DriverManager.getConnection(pg.getJdbcUrl("postgres", "postgres"));
                 Statement st = c.createStatement()) {
                st.execute("create role " + USER + " login superuser password '" + PASSWORD + "'");
                st.execute("create database app owner " + USER);
                Files.writeString(dir.resolve("pg_hba.conf"),
                        "local all all trust\nhost all postgres 127.0.0.1/32 trust\n"
                                + "host all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n");
                st.execute("select pg_reload_conf()");
            }
            return pg;
        } catch (IOException | SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    EmbeddedPostgres server(Node node) {
        return node == Node.PRIMARY ? primary : secondary;
    }

    /** {@code postgresql://app:pw@127.0.0.1:port/app}: the form users paste. */
    public String url(Node node) {
        return "postgresql://" + USER + ":" + PASSWORD + "@127.0.0.1:" + server(node).getPort() + "/app";
    }

    public RedundancyConfig config() {
        Map<String, Object> s = new HashMap<>();
        s.put("hibernate.redundancy.primary.url", url(Node.PRIMARY));
        s.put("hibernate.redundancy.secondary.url", url(Node.SECONDARY));
        return RedundancyConfig.from(s, Map.of());
    }

    public NodeConfig node(Node node) {
        return config().node(node);
    }

    public SyncService sync() {
        return SyncService.of(config());
    }

    public Connection connect(Node node) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server(node).getPort() + "/app", USER, PASSWORD);
    }

    public void execute(Node node, String... sql) throws SQLException {
        try (Connection c = connect(node); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    public long queryLong(Node node, String sql) throws SQLException {
        try (Connection c = connect(node); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    public String queryString(Node node, String sql) throws SQLException {
        try (Connection c = connect(node); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Drops and recreates the public schema of both databases. */
    public void reset() throws SQLException {
        for (Node n : Node.values()) {
            execute(n, "drop schema public cascade", "create schema public");
        }
    }

    /** Creates the sync test schema (SyncSchema) on the given databases. */
    public static void createSchema(SyncTestSupport db, Node... nodes) throws SQLException {
        SyncSchema.create(db, nodes);
    }

    /** Fills the sync test schema with 100,000 rows. */
    public static void fill(SyncTestSupport db, Node node) throws SQLException {
        SyncSchema.fill(db, node);
    }

    /** Saves the {@code app} database of both servers as a template named {@code name}. */
    public void snapshot(String name) throws SQLException {
        for (Node n : Node.values()) {
            admin(n, "drop database if exists " + name, "create database " + name + " template app");
        }
    }

    /** Replaces the {@code app} database of both servers by a copy of the template {@code name}. */
    public void restore(String name) throws SQLException {
        for (Node n : Node.values()) {
            admin(n, "drop database app with (force)", "create database app owner " + USER + " template " + name);
        }
    }

    private void admin(Node node, String... sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(server(node).getJdbcUrl("postgres", "postgres"));
             Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    /** A loopback port nothing listens on. */
    public static int closedPort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            primary.close();
        } finally {
            secondary.close();
        }
    }
}
