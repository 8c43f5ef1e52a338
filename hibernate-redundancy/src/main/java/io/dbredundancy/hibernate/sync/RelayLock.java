package io.dbredundancy.hibernate.sync;

import io.dbredundancy.hibernate.Node;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The advisory lock the mirror's relay holds, on the database whose journal it drains, while it applies a batch to
 * the other one. The sync takes the same lock, as a session lock on its source connection, for what it rewrites on
 * the target (a full copy, an incremental run, each repaired chunk): the relay then never applies a change between
 * the sync's read of the source and its write of the target, so the sync never writes back an image older than one
 * the relay applied (the relay applies the newer one after the sync, from its journal). Harmless where no mirror runs.
 */
public final class RelayLock {

    /** How long the sync waits for a batch the relay is applying. */
    static final String WAIT = "10s";

    private RelayLock() {
    }

    /** The advisory-lock key of the relay that drains the journal of {@code source} into the other database. */
    public static long key(Node source) {
        return 0x6D6972726F72L ^ source.ordinal(); // "mirror", per journal
    }

    /**
     * Takes the lock of {@code source}'s relay on {@code c} (a session lock, reentrant on that session; waits up to
     * {@value #WAIT}); the result releases it.
     */
    static Held hold(Connection c, Node source) throws SQLException {
        long key = key(source);
        try (Statement st = c.createStatement()) {
            st.execute("set lock_timeout = '" + WAIT + "'");
            try {
                st.execute("select pg_advisory_lock(" + key + ")");
            } catch (SQLException e) {
                if (c.getAutoCommit()) {
                    st.execute("reset lock_timeout"); // in a transaction, its rollback undoes the setting
                }
                throw new SQLException("could not hold the mirror relay of the " + source.id() + " database within "
                        + WAIT + " (advisory lock " + key + "): " + SyncService.oneLine(e.getMessage()),
                        e.getSQLState(), e);
            }
            // the time-out is for this wait only: in a transaction too, the sync's own statements keep the session's
            st.execute("reset lock_timeout");
        }
        return () -> {
            try (Statement st = c.createStatement()) {
                st.execute("select pg_advisory_unlock(" + key + ")");
            }
        };
    }

    /** A held lock; closing releases it. */
    interface Held extends AutoCloseable {
        @Override
        void close() throws SQLException;
    }
}
