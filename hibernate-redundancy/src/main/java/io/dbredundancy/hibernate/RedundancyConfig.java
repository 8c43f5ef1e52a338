package io.dbredundancy.hibernate;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.lang.reflect.Field;

/**
 * The validated, immutable configuration of one persistence unit. Built once from the Hibernate settings and
 * the environment by {@link #from(Map, Map)}; nothing else in the plugin reads raw maps. Every problem is reported
 * as a {@link RedundancyConfigException} whose one-line message names the property, the value (never a password)
 * and what is allowed.
 */
public final class RedundancyConfig {

    public enum FailbackMode { AUTO, MANUAL }

    public enum MirrorMode { ASYNC, SYNC, NATIVE, OFF }

    public enum MirrorScope { ALL, ANNOTATED }

    /** Environment variable of each setting that has one. */
    static final Map<String, String> ENVIRONMENT = Map.of(
            RedundancySettings.PRIMARY_URL, "DATABASE_URL",
            RedundancySettings.SECONDARY_URL, "DATABASE_URL_SECONDARY",
            RedundancySettings.HEALTH_INTERVAL_MS, "DB_HEALTH_CHECK_INTERVAL",
            RedundancySettings.HEALTH_TIMEOUT_MS, "DB_CONNECTION_TIMEOUT",
            RedundancySettings.HEALTH_FAILURE_THRESHOLD, "DB_FAILURE_THRESHOLD",
            RedundancySettings.HEALTH_FAILBACK_THRESHOLD, "DB_FAILBACK_THRESHOLD",
            RedundancySettings.HEALTH_PRIMARY_RETRY_INTERVAL_MS, "DB_PRIMARY_RETRY_INTERVAL",
            RedundancySettings.MIRROR_MODE, "DB_MIRROR_MODE",
            RedundancySettings.SYNC_INTERVAL_MS, "DB_SYNC_INTERVAL");

    /** Default of {@value RedundancySettings#POOL_MAX_SIZE}. */
    public static final int DEFAULT_POOL_MAX_SIZE = 10;
    /** Default of {@value RedundancySettings#POOL_MIN_IDLE} (at most the pool's maximum). */
    public static final int DEFAULT_POOL_MIN_IDLE = 2;
    /** Default of {@value RedundancySettings#HEALTH_INTERVAL_MS}. */
    public static final long DEFAULT_HEALTH_INTERVAL_MS = 500;
    /** Default of {@value RedundancySettings#HEALTH_TIMEOUT_MS}. */
    public static final long DEFAULT_HEALTH_TIMEOUT_MS = 500;
    /** Default of {@value RedundancySettings#HEALTH_FAILURE_THRESHOLD}. */
    public static final int DEFAULT_FAILURE_THRESHOLD = 3;
    /** Default of {@value RedundancySettings#HEALTH_FAILBACK_THRESHOLD}. */
    public static final int DEFAULT_FAILBACK_THRESHOLD = 5;
    /** Default of {@value RedundancySettings#HEALTH_PRIMARY_RETRY_INTERVAL_MS}. */
    public static final long DEFAULT_PRIMARY_RETRY_INTERVAL_MS = 1000;
    /** Default of {@value RedundancySettings#FAILBACK}. */
    public static final FailbackMode DEFAULT_FAILBACK = FailbackMode.AUTO;
    /** Default of {@value RedundancySettings#MIRROR_MODE}. */
    public static final MirrorMode DEFAULT_MIRROR_MODE = MirrorMode.ASYNC;
    /** Default of {@value RedundancySettings#MIRROR_SCOPE}. */
    public static final MirrorScope DEFAULT_MIRROR_SCOPE = MirrorScope.ALL;
    /** Default of {@value RedundancySettings#SYNC_INTERVAL_MS}: the safety-net sync is off. */
    public static final long DEFAULT_SYNC_INTERVAL_MS = 0;

    private static final Set<String> KNOWN = knownSettings();

    private final NodeConfig primary;
    private final NodeConfig secondary;
    private final int poolMaxSize;
    private final int poolMinIdle;
    private final long healthIntervalMs;
    private final long healthTimeoutMs;
    private final int failureThreshold;
    private final int failbackThreshold;
    private final long primaryRetryIntervalMs;
    private final FailbackMode failback;
    private final MirrorMode mirrorMode;
    private final MirrorScope mirrorScope;
    private final long syncIntervalMs;
    private final String schemaChangelog;

    private RedundancyConfig(Reader r) {
        this.primary = node(r, Node.PRIMARY, true);
        this.secondary = node(r, Node.SECONDARY, false);
        this.poolMaxSize = r.intValue(RedundancySettings.POOL_MAX_SIZE, DEFAULT_POOL_MAX_SIZE, 1, 10_000);
        this.poolMinIdle = r.intValue(RedundancySettings.POOL_MIN_IDLE, Math.min(DEFAULT_POOL_MIN_IDLE, poolMaxSize), 0, poolMaxSize);
        this.healthIntervalMs = r.longValue(RedundancySettings.HEALTH_INTERVAL_MS, DEFAULT_HEALTH_INTERVAL_MS, 10, 3_600_000);
        this.healthTimeoutMs = r.longValue(RedundancySettings.HEALTH_TIMEOUT_MS, DEFAULT_HEALTH_TIMEOUT_MS, 10, 600_000);
        this.failureThreshold = r.intValue(RedundancySettings.HEALTH_FAILURE_THRESHOLD, DEFAULT_FAILURE_THRESHOLD, 1, 1000);
        this.failbackThreshold = r.intValue(RedundancySettings.HEALTH_FAILBACK_THRESHOLD, DEFAULT_FAILBACK_THRESHOLD, 1, 1000);
        this.primaryRetryIntervalMs = r.longValue(RedundancySettings.HEALTH_PRIMARY_RETRY_INTERVAL_MS, DEFAULT_PRIMARY_RETRY_INTERVAL_MS, 10, 3_600_000);
        this.failback = r.enumValue(RedundancySettings.FAILBACK, FailbackMode.class, DEFAULT_FAILBACK);
        this.mirrorMode = r.enumValue(RedundancySettings.MIRROR_MODE, MirrorMode.class, DEFAULT_MIRROR_MODE);
        this.mirrorScope = r.enumValue(RedundancySettings.MIRROR_SCOPE, MirrorScope.class, DEFAULT_MIRROR_SCOPE);
        this.syncIntervalMs = r.longValue(RedundancySettings.SYNC_INTERVAL_MS, DEFAULT_SYNC_INTERVAL_MS, 0, 86_400_000L * 7);
        this.schemaChangelog = r.string(RedundancySettings.SCHEMA_CHANGELOG);
    }

    /**
     * Reads and validates the settings. {@code settings} are Hibernate's (persistence.xml properties and
     * overrides; values may be strings or numbers); {@code environment} is usually {@link System#getenv()}.
     */
    public static RedundancyConfig from(Map<String, ?> settings, Map<String, String> environment) {
        for (String key : settings.keySet()) {
            if (key.startsWith(RedundancySettings.PREFIX) && !KNOWN.contains(key)) {
                throw new RedundancyConfigException(key, "Unknown setting " + key + "; known settings: "
                        + String.join(", ", KNOWN));
            }
        }
        return new RedundancyConfig(new Reader(settings, environment));
    }

    /** Reads the settings with {@link System#getenv()} as the environment. */
    public static RedundancyConfig from(Map<String, ?> settings) {
        return from(settings, System.getenv());
    }

    private static NodeConfig node(Reader r, Node node, boolean required) {
        String prefix = RedundancySettings.PREFIX + node.id() + ".";
        String urlKey = prefix + "url";
        String jndi = r.string(prefix + "jndi");
        String rawUrl = r.string(urlKey);
        String user = r.string(prefix + "user");
        String password = r.rawString(prefix + "password");
        if (jndi != null) {
            if (rawUrl != null) {
                throw new RedundancyConfigException(prefix + "jndi", "Both " + prefix + "jndi and " + urlKey
                        + " are set; set one of them");
            }
            return new NodeConfig(node, prefix + "jndi", null, user, password, jndi, replicationUrl(r, prefix));
        }
        if (rawUrl == null) {
            if (required) {
                throw new RedundancyConfigException(urlKey, urlKey + " is not set (nor DATABASE_URL); set it to"
                        + " jdbc:postgresql://host:5432/db or postgresql://user:password@host/db");
            }
            if (user != null || password != null) {
                throw new RedundancyConfigException(urlKey, prefix + "user/password are set but " + urlKey
                        + " is not (nor DATABASE_URL_SECONDARY); set the URL or remove them");
            }
            return null;
        }
        DatabaseUrl url = DatabaseUrl.parse(urlKey, rawUrl);
        return new NodeConfig(node, urlKey, url, user != null ? user : url.user(),
                password != null ? password : url.password(), null, replicationUrl(r, prefix));
    }

    private static DatabaseUrl replicationUrl(Reader r, String prefix) {
        String raw = r.rawString(prefix + "replication_url");
        return raw == null || raw.isBlank() ? null : DatabaseUrl.parse(prefix + "replication_url", raw);
    }

    /** Builds the environment-variable-aware view of the settings, with typed, validated getters. */
    private static final class Reader {
        private final Map<String, ?> settings;
        private final Map<String, String> env;

        Reader(Map<String, ?> settings, Map<String, String> env) {
            this.settings = settings;
            this.env = env == null ? Map.of() : env;
        }

        String rawString(String key) {
            Object v = settings.get(key);
            if (v == null && ENVIRONMENT.containsKey(key)) {
                v = env.get(ENVIRONMENT.get(key));
            }
            return v == null ? null : v.toString();
        }

        String string(String key) {
            String v = rawString(key);
            return v == null || v.isBlank() ? null : v.trim();
        }

        String source(String key) {
            return settings.get(key) == null && ENVIRONMENT.containsKey(key)
                    ? key + " (environment " + ENVIRONMENT.get(key) + ")" : key;
        }

        long longValue(String key, long def, long min, long max) {
            String v = string(key);
            if (v == null) {
                return def;
            }
            long parsed;
            try {
                parsed = Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw new RedundancyConfigException(key, source(key) + " must be a whole number between " + min
                        + " and " + max + ", but was '" + v + "'");
            }
            if (parsed < min || parsed > max) {
                throw new RedundancyConfigException(key, source(key) + " must be between " + min + " and " + max
                        + ", but was " + parsed);
            }
            return parsed;
        }

        int intValue(String key, int def, int min, int max) {
            return (int) longValue(key, def, min, max);
        }

        <E extends Enum<E>> E enumValue(String key, Class<E> type, E def) {
            String v = string(key);
            if (v == null) {
                return def;
            }
            for (E e : type.getEnumConstants()) {
                if (e.name().equalsIgnoreCase(v)) {
                    return e;
                }
            }
            StringBuilder allowed = new StringBuilder();
            for (E e : type.getEnumConstants()) {
                allowed.append(allowed.length() == 0 ? "" : ", ").append(e.name().toLowerCase(Locale.ROOT));
            }
            throw new RedundancyConfigException(key, source(key) + " must be one of " + allowed + ", but was '"
                    + v + "'");
        }
    }

    private static Set<String> knownSettings() {
        Set<String> known = new TreeSet<>();
        for (Field f : RedundancySettings.class.getFields()) {
            try {
                Object v = f.get(null);
                if (v instanceof String s && s.startsWith(RedundancySettings.PREFIX) && !s.equals(RedundancySettings.PREFIX)) {
                    known.add(s);
                }
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return known;
    }

    public NodeConfig primary() {
        return primary;
    }

    /** The secondary, if one is configured; without it the plugin runs on the primary alone. */
    public Optional<NodeConfig> secondary() {
        return Optional.ofNullable(secondary);
    }

    public NodeConfig node(Node node) {
        if (node == Node.PRIMARY) {
            return primary;
        }
        if (secondary == null) {
            throw new IllegalStateException("No secondary database is configured (" + RedundancySettings.SECONDARY_URL + ")");
        }
        return secondary;
    }

    /** True when a secondary is configured. */
    public boolean redundancyEnabled() {
        return secondary != null;
    }

    public int poolMaxSize() {
        return poolMaxSize;
    }

    public int poolMinIdle() {
        return poolMinIdle;
    }

    public long healthIntervalMs() {
        return healthIntervalMs;
    }

    public long healthTimeoutMs() {
        return healthTimeoutMs;
    }

    public int failureThreshold() {
        return failureThreshold;
    }

    public int failbackThreshold() {
        return failbackThreshold;
    }

    public long primaryRetryIntervalMs() {
        return primaryRetryIntervalMs;
    }

    public FailbackMode failback() {
        return failback;
    }

    public MirrorMode mirrorMode() {
        return mirrorMode;
    }

    public MirrorScope mirrorScope() {
        return mirrorScope;
    }

    public long syncIntervalMs() {
        return syncIntervalMs;
    }

    /** Classpath changelog applied to both databases at start, or null. */
    public String schemaChangelog() {
        return schemaChangelog;
    }

    @Override
    public String toString() {
        return "RedundancyConfig{primary=" + primary.displayUrl()
                + ", secondary=" + (secondary == null ? "none" : secondary.displayUrl())
                + ", failureThreshold=" + failureThreshold + ", failbackThreshold=" + failbackThreshold
                + ", healthIntervalMs=" + healthIntervalMs + ", healthTimeoutMs=" + healthTimeoutMs
                + ", failback=" + failback + ", mirrorMode=" + mirrorMode + ", mirrorScope=" + mirrorScope + "}";
    }
}
