package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.RedundancySettings;
import io.dbredundancy.hibernate.routing.ActiveNodeResolver;
import io.dbredundancy.hibernate.routing.RedundantConnectionProvider;
import io.dbredundancy.hibernate.testbed.PgServer;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import jakarta.persistence.EntityManagerFactory;
import org.hibernate.SessionFactory;
import io.dbredundancy.hibernate.testbed.PersistenceUnit;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.awaitility.Awaitility.await;

/**
 * A persistence unit wired to the plugin the way an application is (RedundantConnectionProvider, ActiveNodeResolver,
 * both nodes of a {@link PostgresPair}), on a database {@value #DB} whose tables exist on both servers.
 */
final class MirrorUnit implements AutoCloseable {

    static final String DB = "mirror";

    final PostgresPair pg;
    final EntityManagerFactory emf;
    final SessionFactory sf;
    final Redundancy redundancy;

    /** Creates the database and the entities' tables on both servers (as an application's migrations would). */
    static void prepare(PostgresPair pg, Class<?>... entities) {
        for (PgServer server : List.of(pg.primary(), pg.secondary())) {
            server.createDatabase(DB);
            PersistenceUnit cfg = new PersistenceUnit("ddl-" + server.name())
                    .managedClasses(entities)
                    .jdbcUrl(server.jdbcUrl(DB)).jdbcCredentials(server.user(), server.password())
                    .property(RedundancySettings.ROLE, "ddl")
                    .property("hibernate.hbm2ddl.auto", "create");
            cfg.createEntityManagerFactory().close();
        }
    }

    static Map<String, Object> settings(PostgresPair pg) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("hibernate.multi_tenant_connection_provider", RedundantConnectionProvider.class.getName());
        s.put("hibernate.tenant_identifier_resolver", ActiveNodeResolver.class.getName());
        s.put(RedundancySettings.PRIMARY_URL, pg.primary().jdbcUrl(DB));
        s.put(RedundancySettings.PRIMARY_USER, pg.primary().user());
        s.put(RedundancySettings.PRIMARY_PASSWORD, pg.primary().password());
        s.put(RedundancySettings.SECONDARY_URL, pg.secondary().jdbcUrl(DB));
        s.put(RedundancySettings.SECONDARY_USER, pg.secondary().user());
        s.put(RedundancySettings.SECONDARY_PASSWORD, pg.secondary().password());
        s.put(RedundancySettings.POOL_MAX_SIZE, "10");
        s.put(RedundancySettings.POOL_MIN_IDLE, "1");
        s.put("hibernate.hbm2ddl.auto", "none");
        return s;
    }

    MirrorUnit(PostgresPair pg, String name, Map<String, Object> extra, Class<?>... entities) {
        this.pg = pg;
        PersistenceUnit cfg = new PersistenceUnit(name).managedClasses(entities);
        settings(pg).forEach(cfg::property);
        extra.forEach(cfg::property);
        this.emf = cfg.createEntityManagerFactory();
        this.sf = emf.unwrap(SessionFactory.class);
        this.redundancy = Redundancy.of(emf);
    }

    MirrorRuntime mirror() {
        return MirrorRuntime.of(sf);
    }

    String active() {
        return redundancy.status().activeDatabase();
    }

    PgServer server(Node n) {
        return n == Node.PRIMARY ? pg.primary() : pg.secondary();
    }

    /** Every application table of {@code n} as text (rows as jsonb, sorted); the library's tables left out. */
    Map<String, String> snapshot(Node n) throws SQLException {
        Map<String, String> out = new TreeMap<>();
        try (Connection c = server(n).connect(DB); Statement st = c.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    + " AND tablename NOT LIKE 'redundancy\\_%' AND tablename NOT LIKE 'databasechangelog%'")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            for (String t : tables) {
                // a large object is compared by its content: the two databases allocate oids independently
                String lobs = "";
                try (ResultSet rs = st.executeQuery("SELECT string_agg(format(' || jsonb_build_object(%L, md5(lo_get(t.%I)))',"
                        + " attname, attname), '') FROM pg_attribute WHERE attrelid = '\"" + t + "\"'::regclass"
                        + " AND attnum > 0 AND NOT attisdropped AND atttypid = 'oid'::regtype")) {
                    if (rs.next() && rs.getString(1) != null) {
                        lobs = rs.getString(1);
                    }
                }
                try (ResultSet rs = st.executeQuery("SELECT coalesce(jsonb_agg(x ORDER BY x::text), '[]')::text FROM"
                        + " (SELECT to_jsonb(t)" + lobs + " x FROM \"" + t + "\" t) s")) {
                    rs.next();
                    out.put(t, rs.getString(1));
                }
            }
        }
        return out;
    }

    long count(Node n, String sql) throws SQLException {
        try (Connection c = server(n).connect(DB); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Both databases hold the same rows in every application table, within {@code seconds}. */
    void awaitIdentical(int seconds) {
        await().atMost(Duration.ofSeconds(seconds)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .untilAsserted(() -> {
                    Map<String, String> p = snapshot(Node.PRIMARY);
                    Map<String, String> s = snapshot(Node.SECONDARY);
                    if (!s.equals(p)) {
                        StringBuilder diff = new StringBuilder("databases differ:");
                        for (String t : p.keySet()) {
                            if (!p.get(t).equals(s.get(t))) {
                                diff.append(' ').append(t).append(" (primary ").append(p.get(t).length())
                                        .append(" chars, secondary ")
                                        .append(s.get(t) == null ? "missing" : s.get(t).length() + " chars").append(')');
                            }
                        }
                        throw new AssertionError(diff.toString());
                    }
                });
    }

    void awaitActive(String node, int seconds) {
        await().atMost(Duration.ofSeconds(seconds)).pollInterval(Duration.ofMillis(50)).until(() -> node.equals(active()));
    }

    @Override
    public void close() {
        emf.close();
    }
}
