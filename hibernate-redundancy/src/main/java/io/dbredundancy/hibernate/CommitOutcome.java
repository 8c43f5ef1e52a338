package io.dbredundancy.hibernate;

/**
 * What became of a transaction whose commit lost its connection ({@link CommitOutcomeUnknownException}), as
 * {@link Redundancy#outcome(String)} finds it in the databases.
 */
public enum CommitOutcome {
    /** The transaction committed: its changes are in the database it ran on (and mirrored from there). */
    COMMITTED,
    /**
     * The transaction did not commit and never will: the database it ran on is reachable and has no trace of it, and
     * nothing there can still commit it. Safe to run it again.
     */
    NOT_COMMITTED,
    /**
     * Not known yet: the database the transaction ran on cannot be reached (and the other one has no record of it),
     * or its commit is still running there. Ask again later; do not run it again meanwhile.
     */
    UNKNOWN
}
