package io.dbredundancy.hibernate;

import java.util.Objects;

/**
 * How to reach one node: a parsed URL with its effective credentials, or a JNDI name. Immutable; its
 * {@link #toString()} and {@link #displayUrl()} never show the password.
 */
public final class NodeConfig {

    private final Node node;
    private final String urlProperty;
    private final DatabaseUrl url;
    private final String user;
    private final String password;
    private final String jndiName;
    private final DatabaseUrl replicationUrl;

    NodeConfig(Node node, String urlProperty, DatabaseUrl url, String user, String password, String jndiName,
               DatabaseUrl replicationUrl) {
        this.node = Objects.requireNonNull(node);
        this.urlProperty = urlProperty;
        this.url = url;
        this.user = user;
        this.password = password;
        this.jndiName = jndiName;
        this.replicationUrl = replicationUrl;
    }

    /** A node of {@code url} with the same credentials (the command line's {@code --primary URL} and the like). */
    public NodeConfig withReplicationUrl(DatabaseUrl replication) {
        return new NodeConfig(node, urlProperty, url, user, password, jndiName, replication);
    }

    /**
     * {@code hibernate.redundancy.<node>.replication_url}: the direct address the other database's subscription
     * connects to ({@code mirror.mode=native}), or null when not set.
     */
    public DatabaseUrl replicationUrl() {
        return replicationUrl;
    }

    public Node node() {
        return node;
    }

    /** The property this node's URL came from (for messages): {@code hibernate.redundancy.primary.url}. */
    public String urlProperty() {
        return urlProperty;
    }

    /** The parsed URL, or null when the node is a JNDI DataSource. */
    public DatabaseUrl url() {
        return url;
    }

    /** The JDBC URL without credentials, or null for JNDI. */
    public String jdbcUrl() {
        return url == null ? null : url.jdbcUrl();
    }

    public String user() {
        return user;
    }

    /** The password; never log it. */
    public String password() {
        return password;
    }

    /** The JNDI name of a container DataSource, or null. */
    public String jndiName() {
        return jndiName;
    }

    public boolean isJndi() {
        return jndiName != null;
    }

    /** True for a pooler endpoint (PgBouncer, Neon {@code -pooler.}): no server-side prepared statements. */
    public boolean pooler() {
        return url != null && url.pooler();
    }

    /** {@code postgresql://app:***@host:5432/db}, or {@code jndi:java:/…}: safe to log and to show. */
    public String displayUrl() {
        return url != null ? url.display(user) : "jndi:" + jndiName;
    }

    @Override
    public String toString() {
        return node.id() + "=" + displayUrl();
    }
}
