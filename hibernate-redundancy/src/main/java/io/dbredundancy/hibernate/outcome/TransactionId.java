package io.dbredundancy.hibernate.outcome;

import io.dbredundancy.hibernate.Node;

import java.util.UUID;

/**
 * The id of a transaction that journaled changes, as the application sees it: {@code node:xid:uuid}, e.g.
 * {@code primary:74213:3f0c…}. {@code uuid} is the key of its {@code redundancy_tx} record, {@code node} the database
 * it ran on, {@code xid} its {@code txid_current()} there (to find the session of a commit still in progress).
 */
public record TransactionId(Node node, long xid, UUID uuid) {

    /** Parses {@link #toString()}. */
    public static TransactionId parse(String id) {
        if (id != null) {
            String[] parts = id.trim().split(":");
            if (parts.length == 3) {
                try {
                    return new TransactionId(Node.fromId(parts[0]), Long.parseLong(parts[1]), UUID.fromString(parts[2]));
                } catch (IllegalArgumentException e) {
                    // below
                }
            }
        }
        throw new IllegalArgumentException("[DB-Redundancy] '" + id + "' is not a transaction id of"
                + " CommitOutcomeUnknownException (expected node:xid:uuid, e.g. primary:74213:3f0c5e2a-…)");
    }

    @Override
    public String toString() {
        return node.id() + ":" + xid + ":" + uuid;
    }
}
