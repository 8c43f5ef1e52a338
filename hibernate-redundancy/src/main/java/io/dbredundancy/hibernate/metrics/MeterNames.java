package io.dbredundancy.hibernate.metrics;

/**
 * Every meter name the plugin registers, in one place (Micrometer's dotted form; Prometheus shows them with
 * underscores and unit suffixes, e.g. {@code db_redundancy_failovers_total}). Listed in docs/metrics.md.
 * This class references no Micrometer type, so it is safe to load without Micrometer.
 */
public final class MeterNames {

    /** Gauge: the node serving new sessions: 1 primary, 2 secondary, 0 none. */
    public static final String ACTIVE_NODE = "db.redundancy.active.node";
    /** Gauge per {@code node}: 1 when the node serves new sessions, else 0 (easier to graph than the code above). */
    public static final String NODE_ACTIVE = "db.redundancy.node.active";
    /** Gauge per {@code node}: 1 when the last probe succeeded, else 0. */
    public static final String NODE_UP = "db.redundancy.node.up";
    /** Gauge per {@code node}: consecutive failed probes. */
    public static final String NODE_CONSECUTIVE_FAILURES = "db.redundancy.node.consecutive.failures";
    /** Counter, tag {@code reason}: switches from the primary to the secondary. */
    public static final String FAILOVERS = "db.redundancy.failovers";
    /** Counter, tag {@code reason}: switches back from the secondary to the primary. */
    public static final String FAILBACKS = "db.redundancy.failbacks";
    /** Gauge: the fencing epoch (grows by one on every switch). */
    public static final String EPOCH = "db.redundancy.epoch";
    /** Counter, tags {@code node}, {@code result} (success|failure): health probes. */
    public static final String HEALTH_CHECKS = "db.redundancy.health.checks";
    /** Timer per {@code node}: latency of successful probes. */
    public static final String PROBE_LATENCY = "db.redundancy.probe.latency";
    /** Gauge: journal entries not yet applied on the other database. */
    public static final String MIRROR_PENDING = "db.redundancy.mirror.pending";
    /** Gauge (ms): age of the oldest unapplied commit. */
    public static final String MIRROR_LAG = "db.redundancy.mirror.lag";
    /** Gauge: journal entries applied per second by the relay, over its recent window. */
    public static final String MIRROR_APPLIED = "db.redundancy.mirror.applied";
    /** Counter: journal entries applied by the relay since start (both directions). */
    public static final String MIRROR_APPLIED_TOTAL = "db.redundancy.mirror.applied.entries";
    /** Gauge (ms): 99th percentile of commit-to-applied time over the relay's recent entries. */
    public static final String MIRROR_LAG_P99 = "db.redundancy.mirror.lag.p99";
    /** Gauge per {@code direction} (to_secondary|to_primary): entries waiting in that direction. */
    public static final String MIRROR_PENDING_DIRECTION = "db.redundancy.mirror.pending.direction";
    /** Gauge: rows changed on both sides whose losing image was kept. */
    public static final String MIRROR_CONFLICTS = "db.redundancy.mirror.conflicts";
    /** Gauge: journal entries the relay could not apply and set aside. */
    public static final String MIRROR_PARKED = "db.redundancy.mirror.parked";
    /** Gauge per {@code direction} (to_secondary|to_primary), {@code mirror.mode=native}: WAL not confirmed by the subscription. */
    public static final String REPLICATION_LAG_BYTES = "db.redundancy.replication.lag.bytes";
    /** Gauge (ms) per {@code direction}, {@code mirror.mode=native}: the publisher's replay lag of the subscription. */
    public static final String REPLICATION_LAG = "db.redundancy.replication.lag";
    /** Gauge per {@code direction}, {@code mirror.mode=native}: apply and copy errors the subscription counted. */
    public static final String REPLICATION_ERRORS = "db.redundancy.replication.errors";
    /** Gauge per {@code direction}, {@code mirror.mode=native}: 1 while the subscription streams, else 0. */
    public static final String REPLICATION_STREAMING = "db.redundancy.replication.streaming";
    /** Counter, tag {@code kind}: rows copied or repaired by sync runs. */
    public static final String SYNC_ROWS = "db.redundancy.sync.rows";
    /** Timer, tags {@code kind}, {@code result}: duration of sync and verify runs. */
    public static final String SYNC_DURATION = "db.redundancy.sync.duration";

    /** Tag keys. */
    public static final String TAG_NODE = "node";
    public static final String TAG_REASON = "reason";
    public static final String TAG_RESULT = "result";
    public static final String TAG_KIND = "kind";
    public static final String TAG_DIRECTION = "direction";
    /** Tag naming the persistence unit on every meter. */
    public static final String TAG_UNIT = "unit";

    /** HikariCP's pool names under the plugin: {@code db-redundancy-<unit>-primary} / {@code -secondary}. */
    public static final String HIKARI_PREFIX = "hikaricp";
    /** Hibernate statistics meters are named {@code hibernate.*} (Hibernate's own binder). */
    public static final String HIBERNATE_PREFIX = "hibernate";

    private MeterNames() {
    }
}
