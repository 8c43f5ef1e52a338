package io.dbredundancy.hibernate.mirror;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.RedundancySettings;
import org.hibernate.SessionFactory;
import org.hibernate.cfg.Configuration;
import org.hibernate.context.spi.CurrentTenantIdentifierResolver;
import org.hibernate.engine.jdbc.connections.spi.MultiTenantConnectionProvider;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Stopgap until the core lands: a SessionFactory on two real servers with a minimal two-pool provider that offers
 * {@link MirrorHost} the way the plugin's provider does, and a resolver whose active node the test sets.
 */
final class TestUnit implements AutoCloseable {

    final AtomicReference<Node> active = new AtomicReference<>(Node.PRIMARY);
    final AtomicLong epoch = new AtomicLong(1);
    final Provider provider;
    final SessionFactory sf;

    TestUnit(TwoServers servers, Map<String, Object> extra, Class<?>... entities) {
        provider = new Provider(servers);
        Configuration cfg = new Configuration();
        for (Class<?> c : entities) {
            cfg.addAnnotatedClass(c);
        }
        cfg.getProperties().put("hibernate.multi_tenant_connection_provider", provider);
        cfg.getProperties().put("hibernate.tenant_identifier_resolver", new Resolver());
        cfg.setProperty(RedundancySettings.PRIMARY_URL, servers.url(Node.PRIMARY));
        cfg.setProperty(RedundancySettings.SECONDARY_URL, servers.url(Node.SECONDARY));
        cfg.setProperty("hibernate.boot.allow_jdbc_metadata_access", "false");
        cfg.setProperty("jakarta.persistence.database-product-name", "PostgreSQL");
        cfg.setProperty("jakarta.persistence.database-major-version", "17");
        extra.forEach((k, v) -> cfg.getProperties().put(k, v));
        sf = cfg.buildSessionFactory();
    }

    /** Creates the entities' tables on both databases (as Liquibase would in production). */
    TestUnit createSchema() {
        for (Node n : Node.values()) {
            provider.anyNode = n;
            sf.getSchemaManager().exportMappedObjects(true);
        }
        provider.anyNode = Node.PRIMARY;
        return this;
    }

    MirrorRuntime mirror() {
        return MirrorRuntime.of(sf);
    }

    @Override
    public void close() {
        sf.close();
        provider.close();
    }

    final class Resolver implements CurrentTenantIdentifierResolver<String> {
        @Override
        public String resolveCurrentTenantIdentifier() {
            return active.get().id();
        }

        @Override
        public boolean validateExistingCurrentSessions() {
            return false;
        }
    }

    final class Provider implements MultiTenantConnectionProvider<String>, MirrorHost {
        private final Map<Node, HikariDataSource> pools = new EnumMap<>(Node.class);
        volatile Node anyNode = Node.PRIMARY;
        volatile MirrorRuntime attached;

        Provider(TwoServers servers) {
            for (Node n : Node.values()) {
                HikariConfig hc = new HikariConfig();
                hc.setJdbcUrl(servers.url(n));
                hc.setUsername("postgres");
                hc.setPassword("postgres");
                hc.setMaximumPoolSize(12);
                hc.setMinimumIdle(0);
                hc.setConnectionTimeout(1_000);
                hc.setValidationTimeout(500);
                hc.setInitializationFailTimeout(-1);
                hc.setPoolName("test-" + n.id());
                hc.addDataSourceProperty("connectTimeout", "2");
                hc.addDataSourceProperty("socketTimeout", "20");
                pools.put(n, new HikariDataSource(hc));
            }
        }

        void close() {
            pools.values().forEach(HikariDataSource::close);
        }

        @Override
        public DataSource dataSource(Node node) {
            return pools.get(node);
        }

        @Override
        public long epoch() {
            return epoch.get();
        }

        @Override
        public void attach(MirrorRuntime runtime) {
            attached = runtime;
        }

        @Override
        public Connection getAnyConnection() throws SQLException {
            return pools.get(anyNode).getConnection();
        }

        @Override
        public void releaseAnyConnection(Connection connection) throws SQLException {
            connection.close();
        }

        @Override
        public Connection getConnection(String tenantIdentifier) throws SQLException {
            return pools.get(Node.fromId(tenantIdentifier)).getConnection();
        }

        @Override
        public void releaseConnection(String tenantIdentifier, Connection connection) throws SQLException {
            connection.close();
        }

        @Override
        public boolean supportsAggressiveRelease() {
            return false;
        }

        @Override
        public boolean isUnwrappableAs(Class<?> unwrapType) {
            return unwrapType.isInstance(this);
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> T unwrap(Class<T> unwrapType) {
            return (T) this;
        }
    }
}
