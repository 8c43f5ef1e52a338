package io.dbredundancy.hibernate.outcome;

/**
 * SPI: implemented by the connections the plugin hands to sessions ({@code unwrap(CommitTracker.class)}). The
 * mirror's capture tells the connection which transaction its next {@code commit()} completes, so that a commit
 * whose connection dies throws {@link io.dbredundancy.hibernate.CommitOutcomeUnknownException} carrying that id.
 */
public interface CommitTracker {

    /** The id ({@link TransactionId#toString()}) of the transaction the next commit completes; cleared by it. */
    void pendingTransaction(String transactionId);
}
