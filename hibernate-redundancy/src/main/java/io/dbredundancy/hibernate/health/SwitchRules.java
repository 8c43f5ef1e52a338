package io.dbredundancy.hibernate.health;

import io.dbredundancy.hibernate.ActiveNode;
import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.SwitchKind;
import io.dbredundancy.hibernate.lease.Lease;

import java.time.Instant;

/**
 * The switch rules of the health state machine, as pure functions: a state and what this instance observed go in, a
 * {@link Decision} comes out. Nothing here logs, reads a clock or touches the monitor; {@link HealthMonitor} swaps in
 * what a decision leads to and then logs and publishes.
 *
 * <ul>
 *   <li>a lease of a later epoch than this instance's is followed first: to the node it names when this instance
 *       reaches it, else to none;</li>
 *   <li>the active primary down: failover when the secondary is up, else both down;</li>
 *   <li>the active secondary down: failback when the primary is up, else both down;</li>
 *   <li>the secondary active and the primary up again: failback with {@code failback=auto}, no manual hold, and an
 *       open failback gate;</li>
 *   <li>none active: recover to a node that answers again, primary first, once its lease allows it.</li>
 * </ul>
 */
final class SwitchRules {

    private SwitchRules() {
    }

    /**
     * {@code h} after probe result {@code r}: a refused connection is certain (nothing listens at the node's address),
     * down at once; every other failure (a time-out, a reset, an error) needs {@code failure_threshold}; coming back
     * needs {@code failback_threshold} consecutive successes, or one when no node serves.
     */
    static NodeHealth afterProbe(HealthPolicy policy, ActiveNode active, NodeHealth h, ProbeResult r, Instant now) {
        int rise = active == ActiveNode.NONE ? 1 : policy.failbackThreshold();
        return r.ok() ? h.success(r.latencyMs(), now, rise)
                : h.failure(r.error(), now, r.refused() ? 1 : policy.failureThreshold());
    }

    /** The automatic decision for state {@code s}. */
    static Decision decide(HealthPolicy policy, HealthState s, Observations o) {
        Decision f = follow(s, o);
        if (f != null) {
            return f;
        }
        NodeHealth p = s.primary();
        NodeHealth sec = s.secondary();
        switch (s.active()) {
            case PRIMARY:
                if (!p.up()) {
                    String why = "primary failed " + p.consecutiveFailures() + " consecutive health checks ("
                            + p.lastError() + ")";
                    if (sec != null && sec.up()) {
                        return new Decision.Switch(SwitchKind.FAILOVER, ActiveNode.SECONDARY, why, true);
                    }
                    return new Decision.Switch(SwitchKind.BOTH_DOWN, ActiveNode.NONE, why
                            + (sec == null ? "; no secondary is configured" : "; secondary is down too"), true);
                }
                return Decision.STAY;
            case SECONDARY:
                if (!sec.up()) {
                    String why = "secondary failed " + sec.consecutiveFailures() + " consecutive health checks ("
                            + sec.lastError() + ")";
                    if (p.up()) {
                        return new Decision.Switch(SwitchKind.FAILBACK, ActiveNode.PRIMARY, why + "; primary is healthy",
                                true);
                    }
                    return new Decision.Switch(SwitchKind.BOTH_DOWN, ActiveNode.NONE, why + "; primary is down too", true);
                }
                if (p.up() && policy.autoFailback() && !s.manualHold()) {
                    String hold = o.failbackHold();
                    if (hold != null) {
                        return new Decision.FailbackWaits(hold);
                    }
                    return new Decision.Switch(SwitchKind.FAILBACK, ActiveNode.PRIMARY, "primary passed "
                            + p.consecutiveSuccesses() + " consecutive health checks", false);
                }
                return Decision.STAY;
            default:
                return recover(policy, s, o);
        }
    }

    /**
     * Follows a lease of a later epoch than this instance's (see {@link Lease#outranks}): to the node it names when
     * this instance reaches it, else to none (this instance must not write where the others no longer do). Null when
     * no lease outranks this instance's state.
     */
    private static Decision follow(HealthState s, Observations o) {
        Lease l = o.knownLease();
        if (l == null || !l.outranks(s.epoch(), s.active().node()) || (l.active() == Node.SECONDARY && s.secondary() == null)) {
            return null;
        }
        ActiveNode target = ActiveNode.of(l.active());
        if (target == s.active()) {
            return new Decision.JoinEpoch(l.epoch(), l.manual());
        }
        String who = l.holder() == null ? "another instance" : l.holder();
        if (s.health(l.active()).up()) {
            SwitchKind kind = s.active() == ActiveNode.NONE ? SwitchKind.RECOVERED
                    : target == ActiveNode.SECONDARY ? (l.manual() ? SwitchKind.MANUAL_FAILOVER : SwitchKind.FAILOVER)
                    : SwitchKind.FAILBACK;
            return new Decision.Follow(kind, target, "following the lease: " + who + " made the " + target
                    + " database the active one in epoch " + l.epoch(), l.epoch(), l.manual());
        }
        if (s.active() == ActiveNode.NONE) {
            return new Decision.JoinEpoch(l.epoch(), false);
        }
        return new Decision.Follow(SwitchKind.BOTH_DOWN, ActiveNode.NONE, "the lease names the " + target
                + " database (epoch " + l.epoch() + ", written by " + who + "), which this instance cannot reach",
                l.epoch(), false);
    }

    /**
     * After both were down: back to a node that answers again, primary first. Where the databases keep a lease, a
     * node is taken only once its lease has been read since it came back, and only when that lease names it, or names
     * the other node but no instance serving that node has renewed it for {@link HealthPolicy#leaseTtlMs()} (else the
     * others serve from a node this instance cannot reach, and it must not write on the demoted one).
     */
    private static Decision recover(HealthPolicy policy, HealthState s, Observations o) {
        Decision.NotServing hold = null;
        for (NodeHealth h : new NodeHealth[] {s.primary(), s.secondary()}) {
            if (h == null || !h.up()) {
                continue;
            }
            Node x = h.node();
            String back = x + " answers again";
            if (!o.leaseSupported().contains(x)) {
                return new Decision.Switch(SwitchKind.RECOVERED, ActiveNode.of(x), back, false);
            }
            Long readAt = o.leaseReadAt().get(x);
            if (readAt == null || readAt < o.upSince().getOrDefault(x, Long.MIN_VALUE)) {
                hold = new Decision.NotServing("waiting to read the lease of the " + x + " database", true);
                continue;
            }
            Lease l = o.leases().get(x);
            if (l == null || l.active() == x) {
                return new Decision.Switch(SwitchKind.RECOVERED, ActiveNode.of(x), back, false);
            }
            NodeHealth other = s.health(l.active());
            if (other != null && other.up()) {
                continue; // the node it names answers too: taken in its turn
            }
            long age = l.ageMs() + (o.nowMs() - readAt);
            if (age > policy.leaseTtlMs()) {
                return new Decision.Switch(SwitchKind.RECOVERED, ActiveNode.of(x), back + "; the lease names the "
                        + l.active() + " database (epoch " + l.epoch() + "), which no instance has renewed for " + age
                        + " ms", false);
            }
            hold = new Decision.NotServing("the lease names the " + l.active() + " database (epoch " + l.epoch()
                    + ", renewed " + age + " ms ago), which other instances serve and this instance cannot reach", false);
        }
        return hold == null ? Decision.STAY : hold;
    }

    /**
     * A switch on request: {@link SwitchKind#MANUAL_FAILOVER} to the secondary, {@link SwitchKind#MANUAL_FAILBACK} to
     * the primary. Refused when the target is not configured or known to be down, or (failback) the gate says to
     * wait; {@link Decision#STAY} when the target already serves.
     */
    static Decision manual(HealthState s, SwitchKind kind, Observations o) {
        if (!kind.isManual()) {
            throw new IllegalArgumentException("not a manual switch: " + kind);
        }
        ActiveNode target = kind == SwitchKind.MANUAL_FAILOVER ? ActiveNode.SECONDARY : ActiveNode.PRIMARY;
        String verb = kind == SwitchKind.MANUAL_FAILOVER ? "Manual failover" : "Manual failback";
        if (target == ActiveNode.SECONDARY && s.secondary() == null) {
            return new Decision.Refused(verb + " refused: no secondary database is configured"
                    + " (hibernate.redundancy.secondary.url)");
        }
        if (s.active() == target) {
            return Decision.STAY;
        }
        NodeHealth h = s.health(target.node());
        if (!h.connected()) {
            return new Decision.Refused(verb + " refused: the " + target + " database is down (last check: "
                    + h.lastError() + ")");
        }
        if (kind == SwitchKind.MANUAL_FAILBACK) {
            String hold = o.failbackHold();
            if (hold != null) {
                return new Decision.Refused(verb + " refused for now: " + hold);
            }
        }
        ActiveNode from = s.active();
        boolean fromFailed = from == ActiveNode.NONE || !s.health(from.node()).up();
        return new Decision.Switch(kind, target, "requested by the application", fromFailed);
    }
}
