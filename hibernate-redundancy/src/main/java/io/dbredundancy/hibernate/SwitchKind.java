package io.dbredundancy.hibernate;

import java.util.EnumSet;
import java.util.Set;

import static io.dbredundancy.hibernate.ActiveNode.NONE;
import static io.dbredundancy.hibernate.ActiveNode.PRIMARY;
import static io.dbredundancy.hibernate.ActiveNode.SECONDARY;

/**
 * The legal switches of the active node. {@link HealthState#switchTo} accepts nothing else, so an illegal
 * transition (say a "failover" from the secondary to itself) cannot be written.
 */
public enum SwitchKind {
    /** The active primary failed its threshold; the healthy secondary takes over. */
    FAILOVER(EnumSet.of(PRIMARY), EnumSet.of(SECONDARY)),
    /** Back to the primary: it passed its failback threshold ({@code failback=auto}), or the secondary failed. */
    FAILBACK(EnumSet.of(SECONDARY), EnumSet.of(PRIMARY)),
    /** The active node failed and no other node is healthy. */
    BOTH_DOWN(EnumSet.of(PRIMARY, SECONDARY), EnumSet.of(NONE)),
    /** A node came back after both were down. */
    RECOVERED(EnumSet.of(NONE), EnumSet.of(PRIMARY, SECONDARY)),
    /** {@code Redundancy.failover()}: to the secondary on request. */
    MANUAL_FAILOVER(EnumSet.of(PRIMARY, NONE), EnumSet.of(SECONDARY)),
    /** {@code Redundancy.failback()}: to the primary on request. */
    MANUAL_FAILBACK(EnumSet.of(SECONDARY, NONE), EnumSet.of(PRIMARY));

    private final Set<ActiveNode> from;
    private final Set<ActiveNode> to;

    SwitchKind(Set<ActiveNode> from, Set<ActiveNode> to) {
        this.from = from;
        this.to = to;
    }

    public boolean allows(ActiveNode current, ActiveNode target) {
        return from.contains(current) && to.contains(target);
    }

    /** True for the kinds that count as a failover in the status ({@code failoverCount}, {@code lastFailover}). */
    public boolean isFailover() {
        return this == FAILOVER || this == MANUAL_FAILOVER;
    }

    public boolean isManual() {
        return this == MANUAL_FAILOVER || this == MANUAL_FAILBACK;
    }
}
