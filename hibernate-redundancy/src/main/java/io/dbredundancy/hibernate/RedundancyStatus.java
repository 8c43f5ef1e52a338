package io.dbredundancy.hibernate;

import io.dbredundancy.hibernate.status.Json;

import java.time.Instant;
import java.util.Objects;

/**
 * An immutable snapshot of one unit's redundancy: which database serves, each node's health, failovers, the
 * mirror and the last sync. {@link #toJson()} is the document served at {@code /api/system/db-health} and
 * printed by {@code redundancy status --json}. URLs in it are always masked.
 *
 * @param status          {@code healthy} (active node up and, with redundancy, the standby too), {@code degraded}
 *                        (serving, but one node down or redundancy disabled), {@code down} (no node serves)
 * @param redundancy      true when a secondary is configured
 * @param activeDatabase  {@code primary}, {@code secondary} or {@code none}
 * @param secondary       null when no secondary is configured
 * @param lastFailover    null before the first failover
 * @param uptimeSinceFailoverMs ms since the last switch (or since start), null if unknown
 * @param lastSync        null before the first sync
 * @param syncStatus      {@code idle}, {@code running} or {@code failed}
 */
public record RedundancyStatus(
        String status,
        boolean redundancy,
        String activeDatabase,
        NodeStatus primary,
        NodeStatus secondary,
        long failoverCount,
        Instant lastFailover,
        Long uptimeSinceFailoverMs,
        MirrorStatus mirror,
        Instant lastSync,
        String syncStatus,
        long epoch) {

    public RedundancyStatus {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(activeDatabase, "activeDatabase");
        Objects.requireNonNull(primary, "primary");
        Objects.requireNonNull(mirror, "mirror");
        Objects.requireNonNull(syncStatus, "syncStatus");
    }

    /**
     * One node's health as the last probe saw it.
     *
     * @param url masked: {@code postgresql://app:***@host:5432/db}
     */
    public record NodeStatus(boolean connected, double latencyMs, Instant lastCheck, int consecutiveFailures,
                             String url, String lastError) {

        void write(Json j) {
            j.field("connected", connected)
                    .field("latencyMs", latencyMs)
                    .field("lastCheck", lastCheck)
                    .field("consecutiveFailures", consecutiveFailures)
                    .field("url", url);
            if (lastError != null) {
                j.field("lastError", lastError);
            }
        }
    }

    /**
     * The mirror: journal entries not yet applied on the other database and how far behind it is.
     *
     * @param lagMs ms since the oldest unapplied commit (0 when nothing is pending)
     */
    public record MirrorStatus(String mode, long pending, long lagMs, Instant lastApplied, long conflicts,
                               long parked, double appliedPerSecond, String note) {

        public static MirrorStatus off() {
            return new MirrorStatus("off", 0, 0, null, 0, 0, 0, null);
        }

        void write(Json j) {
            j.field("mode", mode)
                    .field("pending", pending)
                    .field("lagMs", lagMs)
                    .field("lastApplied", lastApplied)
                    .field("conflicts", conflicts)
                    .field("parked", parked)
                    .field("appliedPerSecond", appliedPerSecond);
            if (note != null) {
                j.field("note", note);
            }
        }
    }

    /** True when some database serves sessions. */
    public boolean serving() {
        return !"none".equals(activeDatabase);
    }

    /** The status JSON document (its fields: README, the {@code status --json} command). */
    public String toJson() {
        Json j = new Json().open();
        j.field("status", status)
                .field("redundancy", redundancy)
                .field("activeDatabase", activeDatabase);
        j.object("primary");
        primary.write(j);
        j.close();
        if (secondary != null) {
            j.object("secondary");
            secondary.write(j);
            j.close();
        } else {
            j.raw("secondary", "null");
        }
        j.field("failoverCount", failoverCount)
                .field("lastFailover", lastFailover)
                .field("uptimeSinceFailoverMs", uptimeSinceFailoverMs)
                .field("epoch", epoch);
        j.object("mirror");
        mirror.write(j);
        j.close();
        j.field("lastSync", lastSync).field("syncStatus", syncStatus);
        return j.close().toString();
    }

    @Override
    public String toString() {
        return toJson();
    }
}
