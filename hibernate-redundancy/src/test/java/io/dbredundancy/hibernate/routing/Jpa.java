package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.testbed.PgServer;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import org.hibernate.Session;
import io.dbredundancy.hibernate.testbed.PersistenceUnit;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builds persistence units wired to the plugin, the way an application does. */
final class Jpa {

    static final String DB = "coretest";
    static final String TEST_TIMEOUT = "hibernate.redundancy.health.timeout_ms";
    static final String TABLE = "create table if not exists core_note (id bigserial primary key, writer text, seq bigint)";

    private Jpa() {
    }

    /** Creates the test database and table on a server. */
    static void prepare(PgServer server) {
        server.createDatabase(DB);
        try (Connection c = server.connect(DB); Statement st = c.createStatement()) {
            st.execute(TABLE);
            st.execute("truncate core_note");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The plugin's wiring plus both nodes; {@code secondaryUrl} may be null. */
    static Map<String, Object> settings(String primaryUrl, PgServer primary, String secondaryUrl, PgServer secondary) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("hibernate.multi_tenant_connection_provider", RedundantConnectionProvider.class.getName());
        s.put("hibernate.tenant_identifier_resolver", ActiveNodeResolver.class.getName());
        s.put("hibernate.redundancy.primary.url", primaryUrl);
        s.put("hibernate.redundancy.primary.user", primary.user());
        s.put("hibernate.redundancy.primary.password", primary.password());
        if (secondaryUrl != null) {
            s.put("hibernate.redundancy.secondary.url", secondaryUrl);
            s.put("hibernate.redundancy.secondary.user", secondary.user());
            s.put("hibernate.redundancy.secondary.password", secondary.password());
        }
        s.put("hibernate.redundancy.pool.max_size", "6");
        s.put("hibernate.redundancy.pool.min_idle", "1");
        s.put("hibernate.hbm2ddl.auto", "none");
        // the test machine is a loaded 2-core box: probes get a longer time-out than the default 500 ms, except in
        // the tests that measure failover with the defaults (they remove this)
        s.put(TEST_TIMEOUT, "1000");
        // routing tests count the rows each database took: the mirror would copy them (its tests are in mirror/)
        s.put("hibernate.redundancy.mirror.mode", "off");
        return s;
    }

    static EntityManagerFactory emf(String name, Map<String, Object> settings) {
        PersistenceUnit cfg = new PersistenceUnit(name).managedClass(Note.class);
        settings.forEach(cfg::property);
        return cfg.createEntityManagerFactory();
    }

    /** Persists one note in its own EntityManager; returns the node ("primary"/"secondary") that took it. */
    static String write(EntityManagerFactory emf, String writer, long seq) {
        EntityManager em = emf.createEntityManager();
        try {
            em.getTransaction().begin();
            em.persist(new Note(writer, seq));
            em.getTransaction().commit();
            return em.unwrap(Session.class).getTenantIdentifier();
        } finally {
            if (em.getTransaction().isActive()) {
                try {
                    em.getTransaction().rollback();
                } catch (RuntimeException ignored) {
                    // the connection is gone
                }
            }
            em.close();
        }
    }

    /** Rows of {@code writer} in the test table of {@code server}. */
    static long count(PgServer server, String writer) {
        try (Connection c = server.connect(DB); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select count(*) from core_note where writer like '" + writer + "%'")) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
