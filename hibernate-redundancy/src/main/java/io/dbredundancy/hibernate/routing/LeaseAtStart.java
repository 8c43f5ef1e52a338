package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.ActiveNode;
import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.health.HealthPolicy;
import io.dbredundancy.hibernate.health.HealthState;
import io.dbredundancy.hibernate.health.NodeHealth;
import io.dbredundancy.hibernate.lease.Lease;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/** The state at start when the databases hold a lease (read by the {@code LeaseKeeper} at start). */
final class LeaseAtStart {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.routing");

    private LeaseAtStart() {
    }

    /**
     * Serve from the node the lease names in its epoch; when that node is down, take the other in the next epoch,
     * unless other instances renewed the lease within {@link HealthPolicy#leaseTtlMs()} (they serve from a node this
     * instance cannot reach: it serves from none).
     */
    static HealthState follow(HealthState s, Map<Node, Optional<Lease>> read, HealthPolicy policy) {
        Lease best = Lease.best(read.values().stream().map(o -> o.orElse(null)).toList());
        if (best == null || (best.active() == Node.SECONDARY && s.secondary() == null)) {
            return s;
        }
        Instant now = s.startedAt();
        NodeHealth named = s.health(best.active());
        NodeHealth other = s.health(best.active().other());
        if (named.up()) {
            if (best.active() != Node.PRIMARY) {
                LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] the lease names the " + best.active()
                        + " database (" + best + "): serving from it; failback follows the usual rules");
            }
            return HealthState.initial(s.primary(), s.secondary(), now, ActiveNode.of(best.active()), best.epoch(),
                    best.manual());
        }
        if (other != null && other.up() && best.ageMs() > policy.leaseTtlMs()) {
            LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] the lease names the " + best.active() + " database ("
                    + best + "), which is down and which no instance has renewed for " + best.ageMs() + " ms: serving from"
                    + " the " + other.node() + " in epoch " + (best.epoch() + 1));
            return HealthState.initial(s.primary(), s.secondary(), now, ActiveNode.of(other.node()), best.epoch() + 1,
                    false);
        }
        if (other != null && other.up()) {
            LOG.log(System.Logger.Level.ERROR, "[DB-Redundancy] not serving: the lease names the " + best.active()
                    + " database (" + best + ", renewed " + best.ageMs() + " ms ago), which other instances serve and"
                    + " this instance cannot reach; it follows when it can, or takes the " + other.node() + " once the"
                    + " lease is " + policy.leaseTtlMs() + " ms old");
        }
        return HealthState.initial(s.primary(), s.secondary(), now, ActiveNode.NONE, best.epoch(), false);
    }
}
