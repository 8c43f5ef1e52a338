package io.dbredundancy.hibernate.health;

import io.dbredundancy.hibernate.Node;

/**
 * The lease row of one database ({@code redundancy_lease}) as an instance read it: which node the instances agreed to
 * serve from, in which fencing epoch, written by whom. Every switch of any application instance writes a new epoch;
 * the others follow the highest epoch they read, and the database refuses the journal writes of a session whose epoch
 * is older than its lease (so a demoted node takes no write).
 *
 * @param epoch   the fencing epoch
 * @param active  the node that serves in that epoch
 * @param holder  the instance that wrote it ({@code pid@host}), for logs
 * @param manual  written by a manual failover: the instances hold the secondary until a manual failback
 * @param ageMs   milliseconds since an instance serving in this epoch last renewed it, by the database's clock
 */
public record Lease(long epoch, Node active, String holder, boolean manual, long ageMs) {

    /**
     * True when this lease outranks one of epoch {@code epoch} naming {@code active}: a higher epoch, or the same epoch
     * naming the primary against the secondary (two instances that proposed the same epoch at once settle on the
     * primary, the same way in every instance and in the database).
     */
    public boolean outranks(long epoch, ActiveNode active) {
        return this.epoch > epoch || (this.epoch == epoch && this.active == Node.PRIMARY && active == ActiveNode.SECONDARY);
    }

    /** The lease that outranks all others of {@code leases} (nulls skipped), or null when there is none. */
    public static Lease best(Iterable<Lease> leases) {
        Lease best = null;
        for (Lease l : leases) {
            if (l != null && (best == null || l.outranks(best.epoch(), ActiveNode.of(best.active())))) {
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
