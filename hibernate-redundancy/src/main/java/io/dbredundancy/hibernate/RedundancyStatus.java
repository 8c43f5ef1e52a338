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
                               long parked, double appliedPerSecond, String note, java.util.List<Replication> replication) {

        public MirrorStatus {
            replication = replication == null ? java.util.List.of() : java.util.List.copyOf(replication);
        }

        /** The journal modes: no per-direction replication details. */
        public MirrorStatus(String mode, long pending, long lagMs, Instant lastApplied, long conflicts,
                            long parked, double appliedPerSecond, String note) {
            this(mode, pending, lagMs, lastApplied, conflicts, parked, appliedPerSecond, note, java.util.List.of());
        }

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
            if (!replication.isEmpty()) {
                StringBuilder a = new StringBuilder("[");
                for (Replication r : replication) {
                    if (a.length() > 1) {
                        a.append(',');
                    }
                    Json e = new Json().open();
                    r.write(e);
                    a.append(e.close());
                }
                j.raw("replication", a.append(']').toString());
            }
        }
    }

    /**
     * One direction of {@code mirror.mode=native}: the subscription on {@code to} that receives {@code from}'s changes.
     *
     * @param state     {@code streaming}, {@code syncing} (initial copy), {@code stopped} (disabled, usually after
     *                  an apply error such as a unique violation), {@code missing} (not set up) or {@code unknown}
     *                  (a database did not answer)
     * @param lagBytes  WAL the publisher has written that the subscriber has not confirmed (-1: unknown)
     * @param lagMs     the publisher's replay lag (0 when idle, -1: unknown)
     * @param errors    apply and initial-copy errors the subscription has counted
     * @param lastError why it stopped, or null
     */
    public record Replication(String from, String to, String subscription, String state, long lagBytes, long lagMs,
                              long errors, String lastError) {

        void write(Json j) {
            j.field("from", from).field("to", to).field("subscription", subscription).field("state", state)
                    .field("lagBytes", lagBytes).field("lagMs", lagMs).field("errors", errors);
            if (lastError != null) {
                j.field("lastError", lastError);
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
