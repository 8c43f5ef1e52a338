package io.dbredundancy.hibernate.lease;

import io.dbredundancy.hibernate.Node;

/**
 * The two rules of the lease, in the one Java place they are written. The PL/pgSQL functions of the library's
 * changelog apply the same rules in the database ({@code redundancy_lease_touch}: {@link #outranks};
 * {@code redundancy_tx_open} and {@code redundancy_capture}: {@link #fences}); {@code LeaseSqlContractTest} calls those
 * functions over a table of cases and asserts they agree with these.
 */
final class LeaseRules {

    private LeaseRules() {
    }

    /**
     * True when a lease of {@code epoch} naming {@code node} outranks one of {@code otherEpoch} naming
     * {@code otherNode} (null: none serves): a higher epoch, or the same epoch naming the primary against the
     * secondary (two instances that proposed the same epoch at once settle on the primary, the same way in every
     * instance and in the database). A proposal that outranks a database's lease replaces it; an instance follows the
     * lease that outranks its own state.
     */
    static boolean outranks(long epoch, Node node, long otherEpoch, Node otherNode) {
        return epoch > otherEpoch || (epoch == otherEpoch && node == Node.PRIMARY && otherNode == Node.SECONDARY);
    }

    /**
     * True when a database whose lease is of {@code leaseEpoch} naming {@code leaseNode} refuses the writes of a session
     * of {@code sessionEpoch} on {@code origin}: the session's epoch is older, or the same on the node the lease does
     * not name (that database was demoted). A database without a lease refuses nothing.
     */
    static boolean fences(long leaseEpoch, Node leaseNode, long sessionEpoch, Node origin) {
        return leaseEpoch > sessionEpoch || (leaseEpoch == sessionEpoch && leaseNode != origin);
    }
}
