package io.dbredundancy.hibernate.health;

import io.dbredundancy.hibernate.ActiveNode;
import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.SwitchKind;

import java.time.Instant;
import java.util.Objects;

/**
 * The whole health state of a unit as one immutable value: which node serves, each node's health, the failover
 * counters and the switch epoch. {@link HealthMonitor} holds it in an {@code AtomicReference} and replaces it by
 * compare-and-set; a switch goes only through {@link #switchTo}, which accepts only the transitions of
 * {@link SwitchKind}.
 *
 * @param secondary     null when no secondary is configured
 * @param epoch         incremented at every switch of the active node
 * @param lastFailover  null before the first failover
 * @param lastSwitch    time of the last switch, or the start
 * @param manualHold    a manual failover holds the secondary until a manual failback (or until it fails)
 */
public record HealthState(ActiveNode active, NodeHealth primary, NodeHealth secondary, long epoch,
                          long failoverCount, Instant lastFailover, Instant lastSwitch, boolean manualHold,
                          Instant startedAt) {

    public HealthState {
        Objects.requireNonNull(active, "active");
        Objects.requireNonNull(primary, "primary");
        if (active == ActiveNode.SECONDARY && secondary == null) {
            throw new IllegalArgumentException("no secondary is configured");
        }
    }

    /** The state at start: the primary serves when it is up, else the secondary, else none. */
    public static HealthState initial(NodeHealth primary, NodeHealth secondary, Instant now) {
        ActiveNode active = primary.up() ? ActiveNode.PRIMARY
                : secondary != null && secondary.up() ? ActiveNode.SECONDARY : ActiveNode.NONE;
        return new HealthState(active, primary, secondary, 0, 0, null, now, false, now);
    }

    /**
     * The state at start when the databases hold a lease: {@code active} in the lease's {@code epoch} (or the next
     * epoch when this instance takes over from a node that is down).
     */
    public static HealthState initial(NodeHealth primary, NodeHealth secondary, Instant now, ActiveNode active,
                                      long epoch, boolean hold) {
        return new HealthState(active, primary, secondary, epoch, 0, null, now, hold && active == ActiveNode.SECONDARY,
                now);
    }

    public boolean redundancy() {
        return secondary != null;
    }

    /** The health of {@code node}; null for an unconfigured secondary. */
    public NodeHealth health(Node node) {
        return node == Node.PRIMARY ? primary : secondary;
    }

    HealthState with(NodeHealth h) {
        return h.node() == Node.PRIMARY
                ? new HealthState(active, h, secondary, epoch, failoverCount, lastFailover, lastSwitch, manualHold, startedAt)
                : new HealthState(active, primary, h, epoch, failoverCount, lastFailover, lastSwitch, manualHold, startedAt);
    }

    /**
     * The state after switching to {@code target} by {@code kind}: a new epoch.
     *
     * @throws IllegalStateException when {@code kind} does not lead from the current node to {@code target}
     */
    public HealthState switchTo(SwitchKind kind, ActiveNode target, Instant now) {
        if (!kind.allows(active, target)) {
            throw new IllegalStateException("Illegal switch " + kind + " from " + active + " to " + target);
        }
        if (target == ActiveNode.SECONDARY && secondary == null) {
            throw new IllegalStateException("No secondary database is configured");
        }
        return new HealthState(target, primary, secondary, epoch + 1,
                kind.isFailover() ? failoverCount + 1 : failoverCount,
                kind.isFailover() ? now : lastFailover, now, kind == SwitchKind.MANUAL_FAILOVER, startedAt);
    }

    /**
     * The state after following a lease another instance wrote: switching to {@code target} by {@code kind} in the
     * lease's {@code epoch} (not a new one), holding the secondary when the lease was written by a manual failover.
     */
    public HealthState follow(SwitchKind kind, ActiveNode target, Instant now, long epoch, boolean hold) {
        if (epoch < this.epoch) {
            throw new IllegalStateException("Epoch " + epoch + " is older than the current epoch " + this.epoch);
        }
        HealthState s = switchTo(kind, target, now);
        return new HealthState(s.active, s.primary, s.secondary, epoch, s.failoverCount, s.lastFailover, s.lastSwitch,
                hold && target == ActiveNode.SECONDARY, s.startedAt);
    }

    /** The same state in a later epoch (another instance wrote a lease for the node this one already serves). */
    public HealthState inEpoch(long epoch, boolean hold) {
        return new HealthState(active, primary, secondary, Math.max(this.epoch, epoch), failoverCount, lastFailover,
                lastSwitch, hold && active == ActiveNode.SECONDARY, startedAt);
    }

    /** {@code healthy}, {@code degraded} (serving, but a node is down or redundancy is off) or {@code down}. */
    public String status() {
        if (active == ActiveNode.NONE) {
            return "down";
        }
        boolean allUp = primary.up() && (secondary != null && secondary.up());
        return allUp ? "healthy" : "degraded";
    }
}
