package io.dbredundancy.hibernate.spring;

import io.dbredundancy.hibernate.RedundancySettings;
import org.springframework.boot.context.properties.ConfigurationProperties;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code hibernate.redundancy.*} settings as Spring Boot properties ({@code application.properties}, YAML, the
 * environment, with Boot's relaxed names: {@code pool.max-size} and {@code pool.max_size} are the same). Values are
 * kept as written and validated once by the library ({@code RedundancyConfig}), so a bad value fails the start with
 * the library's one line naming the property (never a password). Defaults and meanings: the README's settings table.
 */
@ConfigurationProperties("hibernate.redundancy")
public class RedundancyProperties {

    /** The primary database. */
    private final NodeProperties primary = new NodeProperties();
    /** The secondary database; without its URL the plugin runs on the primary alone. */
    private final NodeProperties secondary = new NodeProperties();
    private final Pool pool = new Pool();
    private final Health health = new Health();
    private final Mirror mirror = new Mirror();
    private final Sync sync = new Sync();
    private final Schema schema = new Schema();
    /** {@code auto} (default): fail back once the primary is healthy again; {@code manual}: only on failback(). */
    private String failback;

    public NodeProperties getPrimary() {
        return primary;
    }

    public NodeProperties getSecondary() {
        return secondary;
    }

    public Pool getPool() {
        return pool;
    }

    public Health getHealth() {
        return health;
    }

    public Mirror getMirror() {
        return mirror;
    }

    public Sync getSync() {
        return sync;
    }

    public Schema getSchema() {
        return schema;
    }

    public String getFailback() {
        return failback;
    }

    public void setFailback(String failback) {
        this.failback = failback;
    }

    /** The settings under the library's own names ({@link RedundancySettings}); unset ones are left out. */
    public Map<String, Object> toSettings() {
        Map<String, Object> s = new LinkedHashMap<>();
        primary.into(s, "primary");
        secondary.into(s, "secondary");
        put(s, RedundancySettings.POOL_MAX_SIZE, pool.maxSize);
        put(s, RedundancySettings.POOL_MIN_IDLE, pool.minIdle);
        put(s, RedundancySettings.HEALTH_INTERVAL_MS, health.intervalMs);
        put(s, RedundancySettings.HEALTH_TIMEOUT_MS, health.timeoutMs);
        put(s, RedundancySettings.HEALTH_FAILURE_THRESHOLD, health.failureThreshold);
        put(s, RedundancySettings.HEALTH_FAILBACK_THRESHOLD, health.failbackThreshold);
        put(s, RedundancySettings.HEALTH_PRIMARY_RETRY_INTERVAL_MS, health.primaryRetryIntervalMs);
        put(s, RedundancySettings.FAILBACK, failback);
        put(s, RedundancySettings.MIRROR_MODE, mirror.mode);
        put(s, RedundancySettings.MIRROR_SCOPE, mirror.scope);
        put(s, RedundancySettings.SYNC_INTERVAL_MS, sync.intervalMs);
        put(s, RedundancySettings.SCHEMA_CHANGELOG, schema.changelog);
        return s;
    }

    private static void put(Map<String, Object> s, String key, String value) {
        if (value != null) {
            s.put(key, value);
        }
    }

    /** One database node. */
    public static class NodeProperties {
        /** {@code jdbc:postgresql://host:5432/db} or {@code postgresql://user:password@host/db} (Neon, Heroku). */
        private String url;
        /** User; overrides the one in the URL. */
        private String user;
        /** Password; overrides the one in the URL. Never logged. */
        private String password;
        /** JNDI name of a container DataSource instead of a URL. */
        private String jndi;
        /**
         * {@code mirror.mode=native}: this node's direct, non-pooled address for the other database's subscription
         * (replication does not pass PgBouncer). Default: the node's URL (a Neon -pooler host without -pooler).
         */
        private String replicationUrl;

        public String getReplicationUrl() {
            return replicationUrl;
        }

        public void setReplicationUrl(String replicationUrl) {
            this.replicationUrl = replicationUrl;
        }

        public String getUrl() {
            return url;
        }

        public void setUrl(String url) {
            this.url = url;
        }

        public String getUser() {
            return user;
        }

        public void setUser(String user) {
            this.user = user;
        }

        public String getPassword() {
            return password;
        }

        public void setPassword(String password) {
            this.password = password;
        }

        public String getJndi() {
            return jndi;
        }

        public void setJndi(String jndi) {
            this.jndi = jndi;
        }

        void into(Map<String, Object> s, String node) {
            String prefix = RedundancySettings.PREFIX + node + ".";
            put(s, prefix + "url", url);
            put(s, prefix + "user", user);
            put(s, prefix + "password", password);
            put(s, prefix + "jndi", jndi);
            put(s, prefix + "replication_url", replicationUrl);
        }

        @Override
        public String toString() {
            return "NodeProperties[url set=" + (url != null) + ", password set=" + (password != null) + "]";
        }
    }

    /** The connection pool of each node. */
    public static class Pool {
        /** Maximum connections per node's pool (default 10). */
        private String maxSize;
        /** Minimum idle connections per node's pool (default 2). */
        private String minIdle;

        public String getMaxSize() {
            return maxSize;
        }

        public void setMaxSize(String maxSize) {
            this.maxSize = maxSize;
        }

        public String getMinIdle() {
            return minIdle;
        }

        public void setMinIdle(String minIdle) {
            this.minIdle = minIdle;
        }
    }

    /** Health probes and the switch thresholds. */
    public static class Health {
        /** Probe period while healthy, in ms (default 500). */
        private String intervalMs;
        /** Connect and probe time-out, in ms (default 500). */
        private String timeoutMs;
        /** Consecutive failures before failover (default 3). */
        private String failureThreshold;
        /** Consecutive good primary probes before failback (default 5). */
        private String failbackThreshold;
        /** Probe period of a failed primary, in ms (default 1000). */
        private String primaryRetryIntervalMs;

        public String getIntervalMs() {
            return intervalMs;
        }

        public void setIntervalMs(String intervalMs) {
            this.intervalMs = intervalMs;
        }

        public String getTimeoutMs() {
            return timeoutMs;
        }

        public void setTimeoutMs(String timeoutMs) {
            this.timeoutMs = timeoutMs;
        }

        public String getFailureThreshold() {
            return failureThreshold;
        }

        public void setFailureThreshold(String failureThreshold) {
            this.failureThreshold = failureThreshold;
        }

        public String getFailbackThreshold() {
            return failbackThreshold;
        }

        public void setFailbackThreshold(String failbackThreshold) {
            this.failbackThreshold = failbackThreshold;
        }

        public String getPrimaryRetryIntervalMs() {
            return primaryRetryIntervalMs;
        }

        public void setPrimaryRetryIntervalMs(String primaryRetryIntervalMs) {
            this.primaryRetryIntervalMs = primaryRetryIntervalMs;
        }
    }

    /** Mirroring of every change to the other database. */
    public static class Mirror {
        /** {@code async} (default: journal + relay), {@code sync} or {@code off}. */
        private String mode;
        /** {@code all} (default) or {@code annotated}. */
        private String scope;

        public String getMode() {
            return mode;
        }

        public void setMode(String mode) {
            this.mode = mode;
        }

        public String getScope() {
            return scope;
        }

        public void setScope(String scope) {
            this.scope = scope;
        }
    }

    /** The safety-net sync. */
    public static class Sync {
        /** Period of the incremental safety-net sync, in ms; 0 (default) turns it off. */
        private String intervalMs;

        public String getIntervalMs() {
            return intervalMs;
        }

        public void setIntervalMs(String intervalMs) {
            this.intervalMs = intervalMs;
        }
    }

    /** Schema migration of both databases. */
    public static class Schema {
        /**
         * Classpath Liquibase changelog applied to both databases at start. Default: the application's
         * {@code spring.liquibase.change-log} when it uses Liquibase.
         */
        private String changelog;

        public String getChangelog() {
            return changelog;
        }

        public void setChangelog(String changelog) {
            this.changelog = changelog;
        }
    }
}
