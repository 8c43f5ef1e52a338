package io.dbredundancy.hibernate.spring;

import io.dbredundancy.hibernate.routing.ActiveNodeResolver;
import io.dbredundancy.hibernate.routing.RedundantConnectionProvider;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;

/**
 * The application's {@code DataSource}: every {@link #getConnection()} comes from the database that serves now, the
 * way a new Hibernate session's connections do ({@link ActiveNodeResolver} picks the node, the provider's pool of that
 * node hands the connection out, and it fails at once when that node is known to be down). JdbcTemplate,
 * {@code spring.sql.init}, Flyway and Liquibase see the serving node through it. Writes made through it bypass
 * Hibernate and are not mirrored (the sync tools are for those).
 *
 * <p>Deliberately not an {@code AbstractRoutingDataSource}: Boot's {@code db} health contributor checks every target
 * of one of those, and would report DOWN while the secondary serves.
 */
public final class RoutingDataSource implements DataSource {

    private final RedundantConnectionProvider provider;
    private final ActiveNodeResolver resolver;

    public RoutingDataSource(RedundantConnectionProvider provider, ActiveNodeResolver resolver) {
        this.provider = provider;
        this.resolver = resolver;
    }

    @Override
    public Connection getConnection() throws SQLException {
        return provider.getConnection(resolver.resolveCurrentTenantIdentifier());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("[DB-Redundancy] the routing DataSource uses the credentials of"
                + " hibernate.redundancy.primary/secondary; getConnection(user, password) is not supported");
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        // no log writer
    }

    @Override
    public void setLoginTimeout(int seconds) {
        // the pools' time-outs come from hibernate.redundancy.health.timeout_ms
    }

    @Override
    public int getLoginTimeout() {
        return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        throw new SQLException("[DB-Redundancy] the routing DataSource does not wrap a " + type.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
        return type.isInstance(this);
    }

    @Override
    public String toString() {
        return "RoutingDataSource[" + (provider.isUnwrappableAs(io.dbredundancy.hibernate.routing.RedundancyRuntime.class) ? provider.unwrap(io.dbredundancy.hibernate.routing.RedundancyRuntime.class) : null) + "]";
    }
}
