package io.dbredundancy.hibernate;

import java.sql.SQLNonTransientConnectionException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Optional;
import java.util.Set;

/**
 * The connection to the database died while it was committing: the transaction may have committed or not. Thrown by
 * the connection's {@code commit()} (SQLState {@value #SQL_STATE}, "transaction resolution unknown") when the
 * commit fails with a connection error (SQLState class 08, 57P01-57P03, a socket error).
 * <p>
 * Hibernate wraps it: {@code EntityTransaction.commit()} (JPA bootstrap) throws a
 * {@code jakarta.persistence.RollbackException}, a native {@code Session.getTransaction().commit()} a
 * {@code org.hibernate.TransactionException}, each with this exception among its causes. Find it with
 * {@link #find(Throwable)} and ask {@link Redundancy#outcome(String)}:
 *
 * <pre>{@code
 * try {
 *     em.getTransaction().commit();
 * } catch (RuntimeException e) {
 *     Optional<CommitOutcomeUnknownException> unknown = CommitOutcomeUnknownException.find(e);
 *     if (unknown.isPresent() && unknown.get().transactionId() != null) {
 *         CommitOutcome o = Redundancy.of(emf).outcome(unknown.get().transactionId());
 *         // COMMITTED: done; NOT_COMMITTED: safe to retry; UNKNOWN: ask again later
 *     }
 *     throw e;
 * }
 * }</pre>
 *
 * The transaction id is null when the transaction journaled no change (nothing mirrored was written: a read-only
 * transaction, {@code mirror.mode=off}, or only entities outside {@code mirror.scope=annotated}); its outcome cannot
 * be asked then.
 */
public class CommitOutcomeUnknownException extends SQLNonTransientConnectionException {

    private static final long serialVersionUID = 1L;

    /** SQLState 08007: transaction resolution unknown. */
    public static final String SQL_STATE = "08007";

    private final String transactionId;
    private final Node node;

    public CommitOutcomeUnknownException(String transactionId, Node node, Throwable cause) {
        super(message(transactionId, node, cause), SQL_STATE, cause);
        this.transactionId = transactionId;
        this.node = node;
    }

    private static String message(String transactionId, Node node, Throwable cause) {
        String why = cause == null ? "" : " (" + DatabaseUrl.mask(String.valueOf(cause.getMessage())) + ")";
        return "[DB-Redundancy] The connection to the " + node + " database failed during commit" + why
                + ": the outcome of the transaction is unknown; "
                + (transactionId == null ? "it journaled no change, so it has no transaction id to ask about"
                : "ask Redundancy.of(emf).outcome(\"" + transactionId + "\")");
    }

    /**
     * The id to pass to {@link Redundancy#outcome(String)}; null when the transaction journaled no change.
     */
    public String transactionId() {
        return transactionId;
    }

    /** The database the transaction ran on. */
    public Node node() {
        return node;
    }

    /** This exception among the causes (and suppressed exceptions) of {@code t}, or {@code t} itself. */
    public static Optional<CommitOutcomeUnknownException> find(Throwable t) {
        return Optional.ofNullable(find(t, Collections.newSetFromMap(new IdentityHashMap<>())));
    }

    private static CommitOutcomeUnknownException find(Throwable t, Set<Throwable> seen) {
        for (Throwable c = t; c != null && seen.add(c); c = c.getCause()) {
            if (c instanceof CommitOutcomeUnknownException u) {
                return u;
            }
            for (Throwable s : c.getSuppressed()) {
                CommitOutcomeUnknownException u = find(s, seen);
                if (u != null) {
                    return u;
                }
            }
        }
        return null;
    }
}
