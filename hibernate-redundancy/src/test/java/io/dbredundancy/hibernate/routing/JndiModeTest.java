package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import jakarta.persistence.EntityManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

import javax.naming.Context;
import javax.naming.InitialContext;
import javax.naming.NameNotFoundException;
import javax.naming.NamingException;
import javax.naming.spi.InitialContextFactory;
import java.lang.reflect.Proxy;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static io.dbredundancy.hibernate.routing.FailbackTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

/** JNDI mode ({@code primary.jndi}/{@code secondary.jndi}): the container's DataSources, routed the same way. */
class JndiModeTest {

    @RegisterExtension
    static final PostgresPair pg = new PostgresPair();

    /** A minimal JNDI naming context (what a container provides), backed by a map. */
    public static final class MapContextFactory implements InitialContextFactory {
        static final Map<String, Object> BOUND = new ConcurrentHashMap<>();

        @Override
        public Context getInitialContext(Hashtable<?, ?> environment) {
            return (Context) Proxy.newProxyInstance(Context.class.getClassLoader(), new Class<?>[] {Context.class},
                    (p, m, args) -> {
                        if (m.getName().equals("lookup") && args[0] instanceof String name) {
                            Object o = BOUND.get(name);
                            if (o == null) {
                                throw new NameNotFoundException(name);
                            }
                            return o;
                        }
                        if (m.getName().equals("close")) {
                            return null;
                        }
                        throw new NamingException("not supported: " + m.getName());
                    });
        }
    }

    private static String previous;

    @BeforeAll
    static void bind() {
        Jpa.prepare(pg.primary());
        Jpa.prepare(pg.secondary());
        previous = System.getProperty(Context.INITIAL_CONTEXT_FACTORY);
        System.setProperty(Context.INITIAL_CONTEXT_FACTORY, MapContextFactory.class.getName());
        MapContextFactory.BOUND.put("java:comp/env/jdbc/primary", dataSource(pg.primary().port(), pg.primary().password()));
        MapContextFactory.BOUND.put("java:comp/env/jdbc/secondary", dataSource(pg.secondaryProxy().port(),
                pg.secondary().password()));
    }

    @AfterAll
    static void unbind() {
        if (previous == null) {
            System.clearProperty(Context.INITIAL_CONTEXT_FACTORY);
        } else {
            System.setProperty(Context.INITIAL_CONTEXT_FACTORY, previous);
        }
        MapContextFactory.BOUND.clear();
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

    @Test
    void routesSessionsThroughTheContainersDataSourcesAndFailsOver() throws NamingException {
        assertThat(new InitialContext().lookup("java:comp/env/jdbc/primary")).isNotNull();
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("hibernate.multi_tenant_connection_provider", RedundantConnectionProvider.class.getName());
        s.put("hibernate.tenant_identifier_resolver", ActiveNodeResolver.class.getName());
        s.put("hibernate.redundancy.primary.jndi", "java:comp/env/jdbc/primary");
        s.put("hibernate.redundancy.secondary.jndi", "java:comp/env/jdbc/secondary");
        try (EntityManagerFactory emf = Jpa.emf("jndi", s)) {
            Redundancy r = Redundancy.of(emf);
            assertThat(Jpa.write(emf, "jndi", 1)).isEqualTo("primary");
            assertThat(r.status().primary().url()).isEqualTo("jndi:java:comp/env/jdbc/primary");
            r.failover();
            assertThat(Jpa.write(emf, "jndi", 2)).isEqualTo("secondary");
            r.failback();
            pg.secondaryProxy().cut();
            assertThat(waitFor(() -> !r.status().secondary().connected(), 10_000)).isTrue();
            assertThat(r.status().status()).isEqualTo("degraded");
            assertThat(Jpa.write(emf, "jndi", 3)).isEqualTo("primary");
        }
        assertThat(Jpa.count(pg.primary(), "jndi")).isEqualTo(2);
        assertThat(Jpa.count(pg.secondary(), "jndi")).isEqualTo(1);
    }
}
