package io.dbredundancy.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dbredundancy.hibernate.testbed.PgServer;
import jakarta.persistence.EntityManagerFactory;
import org.hibernate.jpa.HibernatePersistenceConfiguration;

import java.util.HashMap;
import java.util.Map;

/** The two contestants: this plugin, and plain Hibernate + HikariCP with pgjdbc's multi-host URL. */
enum Side {

    PLUGIN("plugin") {
        @Override
        EntityManagerFactory open(PgServer primary, PgServer secondary, String db, int poolSize) {
            return plugin(primary.jdbcUrl(db), secondary.jdbcUrl(db), poolSize,
                    Map.of("hibernate.redundancy.mirror.mode", FailoverDrill.mirrorMode));
        }
    },

    BASELINE("Hibernate+HikariCP multi-host") {
        @Override
        EntityManagerFactory open(PgServer primary, PgServer secondary, String db, int poolSize) {
            String url = "jdbc:postgresql://" + primary.host() + ":" + primary.port() + "," + secondary.host() + ":"
                    + secondary.port() + "/" + db + "?targetServerType=any&socketTimeout=" + FailoverDrill.BASELINE_SOCKET_TIMEOUT_S;
            return withPool(url, poolSize);
        }
    },

    /** Plain Hibernate + HikariCP on the primary alone: the throughput reference. */
    PLAIN("Hibernate+HikariCP") {
        @Override
        EntityManagerFactory open(PgServer primary, PgServer secondary, String db, int poolSize) {
            return withPool(primary.jdbcUrl(db), poolSize);
        }
    };

    private final String label;

    Side(String label) {
        this.label = label;
    }

    String label() {
        return label;
    }

    abstract EntityManagerFactory open(PgServer primary, PgServer secondary, String db, int poolSize);

    /**
     * The plugin on {@code primaryUrl} / {@code secondaryUrl} (a {@code LinkProxy}'s URL puts a fault-able link in
     * between), as the app user, with {@code extra} plugin settings on top (mirror mode, pool minimum idle, ...).
     */
    static EntityManagerFactory plugin(String primaryUrl, String secondaryUrl, int poolSize, Map<String, String> extra) {
        Map<String, Object> p = common();
        p.put("hibernate.multi_tenant_connection_provider", "io.dbredundancy.hibernate.routing.RedundantConnectionProvider");
        p.put("hibernate.tenant_identifier_resolver", "io.dbredundancy.hibernate.routing.ActiveNodeResolver");
        p.put("hibernate.redundancy.primary.url", primaryUrl);
        p.put("hibernate.redundancy.primary.user", FailoverDrill.APP_USER);
        p.put("hibernate.redundancy.primary.password", FailoverDrill.APP_PASSWORD);
        p.put("hibernate.redundancy.secondary.url", secondaryUrl);
        p.put("hibernate.redundancy.secondary.user", FailoverDrill.APP_USER);
        p.put("hibernate.redundancy.secondary.password", FailoverDrill.APP_PASSWORD);
        p.put("hibernate.redundancy.pool.max_size", String.valueOf(poolSize));
        p.putAll(extra);
        return build(p);
    }

    static EntityManagerFactory withPool(String url, int poolSize) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(url);
        hc.setUsername(FailoverDrill.APP_USER);
        hc.setPassword(FailoverDrill.APP_PASSWORD);
        hc.setMaximumPoolSize(poolSize);
        hc.setPoolName("drill-baseline");
        HikariDataSource ds = new HikariDataSource(hc);
        Map<String, Object> p = common();
        p.put("jakarta.persistence.nonJtaDataSource", ds);
        EntityManagerFactory emf = build(p);
        return new ClosingEmf(emf, ds).proxy();
    }

    private static Map<String, Object> common() {
        Map<String, Object> p = new HashMap<>();
        p.put("hibernate.dialect", "org.hibernate.dialect.PostgreSQLDialect");
        p.put("hibernate.hbm2ddl.auto", "none");
        p.put("hibernate.show_sql", "false");
        p.put("hibernate.cache.use_second_level_cache", "false");
        return p;
    }

    private static EntityManagerFactory build(Map<String, Object> props) {
        return new HibernatePersistenceConfiguration("drill")
                .managedClass(DrillEvent.class)
                .properties(props)
                .createEntityManagerFactory();
    }

    /** Closes the HikariDataSource together with the EntityManagerFactory. */
    private record ClosingEmf(EntityManagerFactory emf, HikariDataSource ds) {
        EntityManagerFactory proxy() {
            return (EntityManagerFactory) java.lang.reflect.Proxy.newProxyInstance(
                    EntityManagerFactory.class.getClassLoader(), new Class<?>[] {EntityManagerFactory.class},
                    (proxy, method, args) -> {
                        try {
                            return method.invoke(emf, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        } finally {
                            if (method.getName().equals("close")) {
                                ds.close();
                            }
                        }
                    });
        }
    }
}
