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
final class TwoServers implements AutoCloseable {

    static final String USER = "app";
    static final String PASSWORD = "s3cret-Pw-42";

    final EmbeddedPostgres primary;
    final EmbeddedPostgres secondary;

    private TwoServers(EmbeddedPostgres primary, EmbeddedPostgres secondary) {
        this.primary = primary;
        this.secondary = secondary;
    }

    static TwoServers start() throws Exception {
        CompletableFuture<EmbeddedPostgres> p = CompletableFuture.supplyAsync(TwoServers::startOne);
        CompletableFuture<EmbeddedPostgres> s = CompletableFuture.supplyAsync(TwoServers::startOne);
        return new TwoServers(p.get(), s.get());
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
    String url(Node node) {
        return "postgresql://" + USER + ":" + PASSWORD + "@127.0.0.1:" + server(node).getPort() + "/app";
    }

    RedundancyConfig config() {
        Map<String, Object> s = new HashMap<>();
        s.put("hibernate.redundancy.primary.url", url(Node.PRIMARY));
        s.put("hibernate.redundancy.secondary.url", url(Node.SECONDARY));
        return RedundancyConfig.from(s, Map.of());
    }

    NodeConfig node(Node node) {
        return config().node(node);
    }

    SyncService sync() {
        return SyncService.of(config());
    }

    Connection connect(Node node) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server(node).getPort() + "/app", USER, PASSWORD);
    }

    void execute(Node node, String... sql) throws SQLException {
        try (Connection c = connect(node); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    long queryLong(Node node, String sql) throws SQLException {
        try (Connection c = connect(node); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    String queryString(Node node, String sql) throws SQLException {
        try (Connection c = connect(node); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Drops and recreates the public schema of both databases. */
    void reset() throws SQLException {
        for (Node n : Node.values()) {
            execute(n, "drop schema public cascade", "create schema public");
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
