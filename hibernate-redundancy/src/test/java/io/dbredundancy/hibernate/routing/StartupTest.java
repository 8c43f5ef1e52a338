package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.RedundancyStatus;
import io.dbredundancy.hibernate.testbed.LogCapture;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import jakarta.persistence.EntityManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.postgresql.ds.PGSimpleDataSource;

import javax.naming.Context;
import javax.naming.InitialContext;
import javax.naming.NamingException;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.net.ServerSocket;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The application starts with the primary down, with the secondary down, and with no secondary at all. */
class StartupTest {

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    @RegisterExtension
    final LogCapture logs = new LogCapture();

    @BeforeAll
    static void schema() {
        Jpa.prepare(pg.primary());
        Jpa.prepare(pg.secondary());
    }

    /** A URL where nothing listens: connections are refused. */
    static String deadUrl() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + Jpa.DB;
    }

    @Test
    void startsOnTheSecondaryWhenThePrimaryIsDownAtStart() throws IOException {
        Map<String, Object> s = Jpa.settings(deadUrl(), pg.primary(), pg.secondary().jdbcUrl(Jpa.DB), pg.secondary());
        try (EntityManagerFactory emf = Jpa.emf("start-primary-down", s)) {
            assertThat(Jpa.write(emf, "pdown", 1)).isEqualTo("secondary");
            RedundancyStatus st = Redundancy.of(emf).status();
            assertThat(st.activeDatabase()).isEqualTo("secondary");
            assertThat(st.status()).isEqualTo("degraded");
            assertThat(st.primary().connected()).isFalse();
            assertThat(Jpa.count(pg.secondary(), "pdown")).isEqualTo(1);
        }
        assertThat(logs.linesContaining("[DB-Redundancy]")).anyMatch(l -> l.contains("WARN")
                && l.contains("primary") && l.contains("down at start") && l.contains("serving from the secondary"));
        assertThat(logs.text()).doesNotContain(pg.primary().password()).doesNotContain(pg.secondary().password());
    }

    @Test
    void startsOnThePrimaryDegradedWhenTheSecondaryIsDownAtStart() throws IOException {
        Map<String, Object> s = Jpa.settings(pg.primary().jdbcUrl(Jpa.DB), pg.primary(), deadUrl(), pg.secondary());
        try (EntityManagerFactory emf = Jpa.emf("start-secondary-down", s)) {
            assertThat(Jpa.write(emf, "sdown", 1)).isEqualTo("primary");
            RedundancyStatus st = Redundancy.of(emf).status();
            assertThat(st.activeDatabase()).isEqualTo("primary");
            assertThat(st.status()).isEqualTo("degraded");
            assertThat(st.redundancy()).isTrue();
            assertThat(st.secondary().connected()).isFalse();
        }
        assertThat(logs.linesContaining("secondary")).anyMatch(l -> l.contains("down at start")
                && l.contains("serving from the primary"));
    }

    @Test
    void bootsWithBothDownWhenTheDatabaseIsNamedAndServesWhenOneReturns() {
        Map<String, Object> s = Jpa.settings(pg.primaryProxy().jdbcUrl(Jpa.DB), pg.primary(),
                pg.secondaryProxy().jdbcUrl(Jpa.DB), pg.secondary());
        s.put("hibernate.dialect", "org.hibernate.dialect.PostgreSQLDialect");
        s.put("jakarta.persistence.database-product-name", "PostgreSQL");
        s.put("jakarta.persistence.database-major-version", "17");
        pg.primaryProxy().cut();
        pg.secondaryProxy().cut();
        try (EntityManagerFactory emf = Jpa.emf("start-both-down", s)) {
            Redundancy r = Redundancy.of(emf);
            assertThat(r.status().activeDatabase()).isEqualTo("none");
            assertThat(r.status().status()).isEqualTo("down");
            try {
                Jpa.write(emf, "bothstart", 1);
                throw new AssertionError("wrote with both databases down");
            } catch (RuntimeException e) {
                assertThat(BothDownTest.messages(e)).contains("Both primary and secondary databases are unavailable");
            }
            pg.secondaryProxy().restore();
            assertThat(FailbackTest.waitFor(() -> "secondary".equals(r.status().activeDatabase()), 10_000)).isTrue();
            assertThat(Jpa.write(emf, "bothstart", 2)).isEqualTo("secondary");
        }
        assertThat(logs.linesContaining("unavailable at start")).hasSize(1);
    }

    @Test
    void runsOnThePrimaryAloneWithOneWarningWhenNoSecondaryIsConfigured() {
        Map<String, Object> s = Jpa.settings(pg.primary().jdbcUrl(Jpa.DB), pg.primary(), null, null);
        try (EntityManagerFactory emf = Jpa.emf("start-no-secondary", s)) {
            assertThat(Jpa.write(emf, "nosec", 1)).isEqualTo("primary");
            RedundancyStatus st = Redundancy.of(emf).status();
            assertThat(st.redundancy()).isFalse();
            assertThat(st.secondary()).isNull();
            assertThat(st.toJson()).contains("\"redundancy\":false", "\"secondary\":null");
        }
        assertThat(logs.linesContaining("redundancy disabled")).hasSize(1);
    }

    private static PGSimpleDataSource dataSource(int port, String password) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setServerNames(new String[] {"127.0.0.1"});
        ds.setPortNumbers(new int[] {port});
        ds.setDatabaseName(Jpa.DB);
        ds.setUser("postgres");
        ds.setPassword(password);
        ds.setConnectTimeout(2);
        return ds;
    }

    /** JNDI mode ({@code primary.jndi}/{@code secondary.jndi}): the container's DataSources, routed the same way. */
    @Test
    void jndiModeRoutesSessionsThroughTheContainersDataSources() throws NamingException {
        String previous = System.getProperty(Context.INITIAL_CONTEXT_FACTORY);
        System.setProperty(Context.INITIAL_CONTEXT_FACTORY, MapContextFactory.class.getName());
        MapContextFactory.BOUND.put("java:comp/env/jdbc/primary", dataSource(pg.primary().port(), pg.primary().password()));
        MapContextFactory.BOUND.put("java:comp/env/jdbc/secondary", dataSource(pg.secondaryProxy().port(),
                pg.secondary().password()));
        try {
            assertThat(new InitialContext().lookup("java:comp/env/jdbc/primary")).isNotNull();
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("hibernate.multi_tenant_connection_provider", RedundantConnectionProvider.class.getName());
            s.put("hibernate.tenant_identifier_resolver", ActiveNodeResolver.class.getName());
            s.put("hibernate.redundancy.primary.jndi", "java:comp/env/jdbc/primary");
            s.put("hibernate.redundancy.secondary.jndi", "java:comp/env/jdbc/secondary");
            s.put("hibernate.redundancy.mirror.mode", "off"); // the test counts the rows each database took
            try (EntityManagerFactory emf = Jpa.emf("jndi", s)) {
                Redundancy r = Redundancy.of(emf);
                assertThat(Jpa.write(emf, "jndi", 1)).isEqualTo("primary");
                assertThat(r.status().primary().url()).isEqualTo("jndi:java:comp/env/jdbc/primary");
                r.failover();
                assertThat(Jpa.write(emf, "jndi", 2)).isEqualTo("secondary");
                r.failback();
                pg.secondaryProxy().cut();
                assertThat(FailbackTest.waitFor(() -> !RuntimeLookup.require(emf).state().secondary().up(), 10_000)).isTrue();
                assertThat(r.status().status()).isEqualTo("degraded");
                assertThat(Jpa.write(emf, "jndi", 3)).isEqualTo("primary");
            }
            assertThat(Jpa.count(pg.primary(), "jndi")).isEqualTo(2);
            assertThat(Jpa.count(pg.secondary(), "jndi")).isEqualTo(1);
        } finally {
            if (previous == null) {
                System.clearProperty(Context.INITIAL_CONTEXT_FACTORY);
            } else {
                System.setProperty(Context.INITIAL_CONTEXT_FACTORY, previous);
            }
            MapContextFactory.BOUND.clear();
        }
    }
}
