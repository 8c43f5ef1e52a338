package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.RedundancyConfigException;
import org.hibernate.engine.jdbc.connections.spi.MultiTenantConnectionProvider;
import org.hibernate.service.UnknownUnwrapTypeException;
import org.hibernate.service.spi.Configurable;
import org.hibernate.service.spi.Startable;
import org.hibernate.service.spi.Stoppable;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;

/**
 * Hands every session the connections of the database its tenant names: {@code "primary"} or {@code "secondary"},
 * as {@link ActiveNodeResolver} chose from the health state when the session opened. Wire it in
 * {@code persistence.xml}:
 *
 * <pre>{@code
 * <property name="hibernate.multi_tenant_connection_provider"
 *           value="io.dbredundancy.hibernate.routing.RedundantConnectionProvider"/>
 * <property name="hibernate.tenant_identifier_resolver"
 *           value="io.dbredundancy.hibernate.routing.ActiveNodeResolver"/>
 * }</pre>
 *
 * <p>Never reroutes: {@link #getConnection(String)} on a node known to be down fails at once with SQLState 08001
 * and a message naming the node (both down: "Both primary and secondary databases are unavailable"), instead of
 * waiting for the pool's time-out. {@link #getAnyConnection()} (boot, schema tools) tries the serving node first,
 * so the application starts while the primary is down.
 */
public class RedundantConnectionProvider implements MultiTenantConnectionProvider<String>, Configurable, Startable,
        Stoppable {

    private static final long serialVersionUID = 1L;

    private transient RedundancyConfig config;
    private transient String unit = "default";
    private transient volatile RedundancyRuntime runtime;

    @Override
    public void configure(Map<String, Object> settings) {
        this.config = RedundancyConfig.from(settings, System.getenv());
        Object name = settings.get("hibernate.persistenceUnitName");
        if (name == null) {
            name = settings.get("hibernate.session_factory_name");
        }
        if (name != null && !name.toString().isBlank()) {
            unit = name.toString().trim().replaceAll("[^A-Za-z0-9_.-]", "_");
        }
    }

    @Override
    public void start() {
        if (runtime != null) {
            return;
        }
        if (config == null) {
            throw new RedundancyConfigException("hibernate.redundancy.primary.url",
                    "RedundantConnectionProvider was started without settings (configure() was not called)");
        }
        runtime = RedundancyRuntime.start(unit, config);
    }

    @Override
    public void stop() {
        RedundancyRuntime rt = runtime;
        runtime = null;
        if (rt != null) {
            rt.close();
        }
    }

    /** The unit's runtime (pools, monitor, listeners); null before start and after stop. See {@link RuntimeLookup}. */
    RedundancyRuntime runtime() {
        return runtime;
    }

    private RedundancyRuntime rt() throws SQLException {
        RedundancyRuntime rt = runtime;
        if (rt == null) {
            throw new SQLException("[DB-Redundancy] RedundantConnectionProvider is not started (or already stopped)",
                    "08003");
        }
        return rt;
    }

    private static Node node(String tenant) throws SQLException {
        try {
            return Node.fromId(tenant);
        } catch (IllegalArgumentException e) {
            throw new SQLException("[DB-Redundancy] " + e.getMessage() + " (the tenant identifier names the database"
                    + " node; use ActiveNodeResolver)", "08001");
        }
    }

    @Override
    public Connection getAnyConnection() throws SQLException {
        return rt().router().anyConnection();
    }

    @Override
    public void releaseAnyConnection(Connection connection) throws SQLException {
        connection.close();
    }

    @Override
    public Connection getConnection(String tenantIdentifier) throws SQLException {
        return rt().router().connection(node(tenantIdentifier));
    }

    @Override
    public void releaseConnection(String tenantIdentifier, Connection connection) throws SQLException {
        connection.close();
    }

    /** True in JNDI mode (container DataSources, JTA may release after each statement); false with own pools. */
    @Override
    public boolean supportsAggressiveRelease() {
        return config != null && config.primary().isJndi();
    }

    @Override
    public boolean isUnwrappableAs(Class<?> type) {
        return type.isInstance(this) || (type == RedundancyRuntime.class && runtime != null);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <X> X unwrap(Class<X> type) {
        if (type.isInstance(this)) {
            return (X) this;
        }
        if (type == RedundancyRuntime.class && runtime != null) {
            return (X) runtime;
        }
        throw new UnknownUnwrapTypeException(type);
    }
}
