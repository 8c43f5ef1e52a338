package io.dbredundancy.hibernate.lease;

import io.dbredundancy.hibernate.Node;

/**
 * The lease row of one database ({@code redundancy_lease}) as an instance read it: which node the instances agreed to
 * serve from, in which fencing epoch, written by whom. Every switch of any application instance writes a new epoch;
 * the others follow the lease that {@linkplain LeaseRules#outranks outranks} theirs, and the database refuses the
 * journal writes of a session its lease {@linkplain LeaseRules#fences fences} (so a demoted node takes no write).
 *
 * @param epoch   the fencing epoch
 * @param active  the node that serves in that epoch
 * @param holder  the instance that wrote it ({@code pid@host}), for logs
 * @param manual  written by a manual failover: the instances hold the secondary until a manual failback
 * @param ageMs   milliseconds since an instance serving in this epoch last renewed it, by the database's clock
 */
public record Lease(long epoch, Node active, String holder, boolean manual, long ageMs) {

    /**
     * True when this lease outranks a state of epoch {@code epoch} serving {@code active} (null: none); see
     * {@link LeaseRules#outranks}.
     */
    public boolean outranks(long epoch, Node active) {
        return LeaseRules.outranks(this.epoch, this.active, epoch, active);
    }

    /** True when this lease refuses the writes of a session of {@code epoch} on {@code origin}; see {@link LeaseRules#fences}. */
    public boolean fences(long epoch, Node origin) {
        return LeaseRules.fences(this.epoch, this.active, epoch, origin);
    }

    /** The lease that outranks all others of {@code leases} (nulls skipped), or null when there is none. */
    public static Lease best(Iterable<Lease> leases) {
        Lease best = null;
        for (Lease l : leases) {
            if (l != null && (best == null || l.outranks(best.epoch(), best.active()))) {
                best = l;
            }
        }
        return best;
    }

    @Override
    public String toString() {
        return "epoch " + epoch + ", " + active + (manual ? " (manual)" : "") + (holder == null ? "" : ", by " + holder);
    }
}
