package io.dbredundancy.hibernate;

/**
 * The {@code hibernate.redundancy.*} settings, read from {@code persistence.xml} properties (or any map handed to
 * Hibernate). Most can also come from an environment variable, named in each constant's javadoc; an explicit
 * property wins over the environment.
 */
public interface RedundancySettings {

    /** Common prefix of every setting. */
    String PREFIX = "hibernate.redundancy.";

    /**
     * URL of the primary: {@code jdbc:postgresql://host:port/db?…} or {@code postgresql://user:pass@host/db?…}
     * (the form Neon and Heroku print). Environment: {@code DATABASE_URL}. Required unless {@link #PRIMARY_JNDI}.
     */
    String PRIMARY_URL = PREFIX + "primary.url";
    /** URL of the secondary, same forms as {@link #PRIMARY_URL}. Environment: {@code DATABASE_URL_SECONDARY}. Optional: without it the plugin runs on the primary alone. */
    String SECONDARY_URL = PREFIX + "secondary.url";
    /** User of the primary; overrides the one in the URL. */
    String PRIMARY_USER = PREFIX + "primary.user";
    /** Password of the primary; overrides the one in the URL. Never logged. */
    String PRIMARY_PASSWORD = PREFIX + "primary.password";
    /** User of the secondary; overrides the one in the URL. */
    String SECONDARY_USER = PREFIX + "secondary.user";
    /** Password of the secondary; overrides the one in the URL. Never logged. */
    String SECONDARY_PASSWORD = PREFIX + "secondary.password";
    /**
     * {@code mirror.mode=native}: the primary's direct, non-pooled address for the secondary's subscription, same forms
     * as {@link #PRIMARY_URL} (replication does not pass PgBouncer). Default: the primary's URL (a Neon
     * {@code -pooler} host without {@code -pooler}); its user needs {@code REPLICATION}.
     */
    String PRIMARY_REPLICATION_URL = PREFIX + "primary.replication_url";
    /** {@code mirror.mode=native}: the secondary's direct address for the primary's subscription; see {@link #PRIMARY_REPLICATION_URL}. */
    String SECONDARY_REPLICATION_URL = PREFIX + "secondary.replication_url";
    /** JNDI name of a container DataSource for the primary (JTA deployments), instead of a URL. */
    String PRIMARY_JNDI = PREFIX + "primary.jndi";
    /** JNDI name of a container DataSource for the secondary (JTA deployments), instead of a URL. */
    String SECONDARY_JNDI = PREFIX + "secondary.jndi";

    /** Maximum connections per node's pool. Default 10. */
    String POOL_MAX_SIZE = PREFIX + "pool.max_size";
    /** Minimum idle connections per node's pool (the standby's pool is kept warm with them). Default 2. */
    String POOL_MIN_IDLE = PREFIX + "pool.min_idle";

    /** Probe period while healthy, in ms. Environment: {@code DB_HEALTH_CHECK_INTERVAL}. Default 500. */
    String HEALTH_INTERVAL_MS = PREFIX + "health.interval_ms";
    /** Connect and probe timeout, in ms: a probe not answered within it counts as failed. Also sets the pools'
     * connection wait (twice this, at least 1000 ms). Environment: {@code DB_CONNECTION_TIMEOUT}. Default 500. */
    String HEALTH_TIMEOUT_MS = PREFIX + "health.timeout_ms";
    /** Consecutive failures before failover. Environment: {@code DB_FAILURE_THRESHOLD}. Default 3. */
    String HEALTH_FAILURE_THRESHOLD = PREFIX + "health.failure_threshold";
    /** Consecutive good primary probes before failback. Environment: {@code DB_FAILBACK_THRESHOLD}. Default 5. */
    String HEALTH_FAILBACK_THRESHOLD = PREFIX + "health.failback_threshold";
    /** Probe period of a failed primary, in ms. After 5 quick retries; with &plusmn;20% jitter.
     * Environment: {@code DB_PRIMARY_RETRY_INTERVAL}. Default 1000. */
    String HEALTH_PRIMARY_RETRY_INTERVAL_MS = PREFIX + "health.primary_retry_interval_ms";

    /** {@code auto} (default): fail back once the primary is healthy again; {@code manual}: only on {@code failback()}. */
    String FAILBACK = PREFIX + "failback";

    /**
     * {@code async} (default), {@code sync}, {@code native} or {@code off}. Environment: {@code DB_MIRROR_MODE}.
     * {@code native}: PostgreSQL's own logical replication (a publication on each database, a subscription on the
     * other) carries every change; the plugin sets it up, fences, aligns sequences at a switch and holds failback
     * until the secondary's changes have arrived. Needs {@code wal_level=logical} and PostgreSQL 16+ on both.
     */
    String MIRROR_MODE = PREFIX + "mirror.mode";
    /** {@code all} (default) or {@code annotated} (only entities with {@code @EntityListeners(MirrorListener.class)}). */
    String MIRROR_SCOPE = PREFIX + "mirror.scope";

    /** Period of the incremental safety-net sync, in ms; 0 turns it off. Environment: {@code DB_SYNC_INTERVAL}. Default 0. */
    String SYNC_INTERVAL_MS = PREFIX + "sync.interval_ms";

    /** Classpath resource of a Liquibase changelog applied to both databases at start. Default: none. */
    String SCHEMA_CHANGELOG = PREFIX + "schema.changelog";

    /** Internal: marks a SessionFactory the plugin builds for itself, so its integrator stays out of it. */
    String ROLE = PREFIX + "internal.role";
}
