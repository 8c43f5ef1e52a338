package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.sync.Migrations;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Stopgap until the shared test bed lands: two real PostgreSQL servers (zonky embedded), each stoppable and
 * restartable on the same port and data directory, with the library's changelog applied.
 */
final class TwoServers implements AutoCloseable {

    private final Map<Node, EmbeddedPostgres> servers = new EnumMap<>(Node.class);
    private final Map<Node, Path> dirs = new EnumMap<>(Node.class);
    private final Map<Node, Integer> ports = new EnumMap<>(Node.class);

    static TwoServers start() throws IOException {
        TwoServers s = new TwoServers();
        for (Node n : Node.values()) {
            s.dirs.put(n, Files.createTempDirectory("mirror-" + n.id()));
            EmbeddedPostgres pg = s.launch(n, 0, false);
            s.servers.put(n, pg);
            s.ports.put(n, pg.getPort());
        }
        s.migrate();
        return s;
    }

    private EmbeddedPostgres launch(Node n, int port, boolean clean) throws IOException {
        EmbeddedPostgres.Builder b = EmbeddedPostgres.builder().setDataDirectory(dirs.get(n)).setCleanDataDirectory(clean)
                .setServerConfig("max_connections", "60").setServerConfig("fsync", "off")
                .setServerConfig("synchronous_commit", "off").setServerConfig("full_page_writes", "off");
        if (port > 0) {
            b.setPort(port);
        }
        return b.start();
    }

    String url(Node n) {
        return "jdbc:postgresql://127.0.0.1:" + ports.get(n) + "/postgres";
    }

    Connection connect(Node n) throws SQLException {
        return DriverManager.getConnection(url(n), "postgres", "postgres");
    }

    void migrate() {
        for (Node n : Node.values()) {
            try (Connection c = connect(n)) {
                Migrations.apply(c, Migrations.LIBRARY_CHANGELOG, getClass().getClassLoader());
            } catch (Exception e) {
                throw new IllegalStateException("migration of " + n + " failed", e);
            }
        }
    }

    /** Drops every table (application and library) on both and applies the changelog again. */
    void reset() throws SQLException {
        for (Node n : Node.values()) {
            try (Connection c = connect(n); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
            }
        }
        migrate();
    }

    void stop(Node n) throws IOException {
        EmbeddedPostgres pg = servers.remove(n);
        if (pg != null) {
            pg.close();
        }
    }

    void restart(Node n) throws IOException {
        stop(n);
        servers.put(n, launch(n, ports.get(n), false));
    }

    /** Every application table of {@code n} as text: rows as jsonb, sorted; library tables left out. */
    Map<String, String> snapshot(Node n) throws SQLException {
        Map<String, String> out = new java.util.TreeMap<>();
        try (Connection c = connect(n); Statement st = c.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    + " AND tablename NOT LIKE 'redundancy\\_%' AND tablename NOT LIKE 'databasechangelog%'")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            for (String t : tables) {
                try (ResultSet rs = st.executeQuery("SELECT coalesce(jsonb_agg(x ORDER BY x::text), '[]')::text FROM"
                        + " (SELECT to_jsonb(t) x FROM \"" + t + "\" t) s")) {
                    rs.next();
                    out.put(t, rs.getString(1));
                }
            }
        }
        return out;
    }

    long count(Node n, String sql) throws SQLException {
        try (Connection c = connect(n); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public void close() throws IOException {
        for (Node n : Node.values()) {
            stop(n);
            try (var files = Files.walk(dirs.get(n))) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
