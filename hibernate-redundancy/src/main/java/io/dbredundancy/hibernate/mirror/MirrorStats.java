package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.RedundancyStatus;

import java.time.Instant;

/**
 * A snapshot of the mirror of one unit, both directions together.
 *
 * @param mode              {@code async}, {@code sync} or {@code off}
 * @param pendingToSecondary journal entries on the primary not yet applied to the secondary (-1 when unknown)
 * @param pendingToPrimary   journal entries on the secondary not yet applied to the primary (-1 when unknown)
 * @param lagMs             ms since the oldest unapplied commit, either direction (0 when nothing is pending)
 * @param lastApplied       when the relay last applied a batch, null before
 * @param conflicts         rows changed on both sides, resolved (losing images in {@code redundancy_conflict})
 * @param parked            entries the other database rejected, kept in {@code redundancy_parked}
 * @param appliedPerSecond  entries applied per second over the last 10 s
 * @param appliedTotal      entries applied since start
 * @param lagP99Ms          99th percentile of commit-to-applied time over the last 8192 entries
 * @param note              why the mirror is not doing what its mode says (target down, sync fell back), or null
 */
public record MirrorStats(String mode, long pendingToSecondary, long pendingToPrimary, long lagMs, Instant lastApplied,
                          long conflicts, long parked, double appliedPerSecond, long appliedTotal, long lagP99Ms,
                          String note) {

    /** All entries waiting, both directions. */
    public long pending() {
        return Math.max(0, pendingToSecondary) + Math.max(0, pendingToPrimary);
    }

    /** The status record of {@code Redundancy.status()}. */
    public RedundancyStatus.MirrorStatus toStatus() {
        return new RedundancyStatus.MirrorStatus(mode, pending(), lagMs, lastApplied, conflicts, parked,
                appliedPerSecond, note);
    }
}
