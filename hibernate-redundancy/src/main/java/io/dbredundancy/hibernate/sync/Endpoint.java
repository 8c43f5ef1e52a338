package io.dbredundancy.hibernate.sync;

import io.dbredundancy.hibernate.DatabaseUrl;
import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.NodeConfig;
import io.dbredundancy.hibernate.SyncException;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Properties;

/**
 * Where the sync gets connections to one database: a DataSource (the app's pool) or a {@link NodeConfig} (the
 * command line, opening plain driver connections). Every connection it hands out is the caller's to close.
 */
public final class Endpoint {

    /** Connect timeout, seconds, for connections opened from a URL. */
    static final int CONNECT_TIMEOUT_S = 10;

    private final Node node;
    private final String display;
    private final DataSource dataSource;
    private final NodeConfig config;

    private Endpoint(Node node, String display, DataSource dataSource, NodeConfig config) {
        this.node = Objects.requireNonNull(node);
        this.display = display;
        this.dataSource = dataSource;
        this.config = config;
    }

    public static Endpoint of(Node node, DataSource dataSource) {
        return new Endpoint(node, node.id(), Objects.requireNonNull(dataSource, "dataSource"), null);
    }

    /** Over {@code dataSource}, shown in messages as {@code display} (a masked URL: never a password). */
    public static Endpoint of(Node node, DataSource dataSource, String display) {
        return new Endpoint(node, display == null ? node.id() : display, Objects.requireNonNull(dataSource, "dataSource"),
                null);
    }

    public static Endpoint of(NodeConfig config) {
        if (config.isJndi()) {
            throw new SyncException("The " + config.node().id() + " database is a JNDI DataSource ("
                    + config.jndiName() + "); pass the DataSource itself or a URL");
        }
        return new Endpoint(config.node(), config.displayUrl(), null, config);
    }

    public Node node() {
        return node;
    }

    /** The masked URL or the node name: safe to show. */
    public String display() {
        return display;
    }

    /** Opens a connection (auto-commit on). */
    public Connection open() throws SQLException {
        if (dataSource != null) {
            return dataSource.getConnection();
        }
        return open(config, CONNECT_TIMEOUT_S, "db-redundancy-sync");
    }

    /** Opens a plain driver connection to {@code config} with the given connect timeout. */
    public static Connection open(NodeConfig config, int connectTimeoutSeconds, String applicationName) throws SQLException {
        return open(config, connectTimeoutSeconds, 0, applicationName);
    }

    /** As {@link #open(NodeConfig, int, String)}, with a socket time-out (0: none) unless the URL sets one. */
    public static Connection open(NodeConfig config, int connectTimeoutSeconds, int socketTimeoutSeconds,
                                  String applicationName) throws SQLException {
        Properties p = new Properties();
        if (socketTimeoutSeconds > 0 && (config.url() == null || !config.url().parameters().containsKey("socketTimeout"))) {
            p.setProperty("socketTimeout", Integer.toString(socketTimeoutSeconds));
        }
        if (config.user() != null) {
            p.setProperty("user", config.user());
        }
        if (config.password() != null) {
            p.setProperty("password", config.password());
        }
        DatabaseUrl url = config.url();
        if (url == null || !url.parameters().containsKey("connectTimeout")) {
            p.setProperty("connectTimeout", Integer.toString(connectTimeoutSeconds));
        }
        p.setProperty("loginTimeout", Integer.toString(connectTimeoutSeconds));
        if (url == null || !url.parameters().containsKey("ApplicationName")) {
            p.setProperty("ApplicationName", applicationName);
        }
        p.setProperty("tcpKeepAlive", "true");
        return DriverManager.getConnection(config.jdbcUrl(), p);
    }

    @Override
    public String toString() {
        return node.id() + " (" + display + ")";
    }
}
