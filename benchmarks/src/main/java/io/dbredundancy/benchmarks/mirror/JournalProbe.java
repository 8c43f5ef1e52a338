package io.dbredundancy.benchmarks.mirror;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.mirror.MirrorRuntime;
import io.dbredundancy.hibernate.testbed.PgServer;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The primary's journal backlog of one side, on a connection of its own (not the unit's pool): an exact count when
 * the load stops, and a cheap "anything left?" while it drains, so that polling every few ms neither borrows the
 * relay's connections nor scans the journal. Falls back to {@link MirrorRuntime#pending(Node)} where the journal
 * table is not {@code redundancy_journal}.
 */
final class JournalProbe implements AutoCloseable {

    private final MirrorRuntime runtime;
    private Connection connection;
    private PreparedStatement count;
    private PreparedStatement any;

    JournalProbe(PgServer primary, String database, MirrorRuntime runtime) {
        this.runtime = runtime;
        try {
            connection = primary.connect(database);
            connection.setAutoCommit(true);
            count = connection.prepareStatement("SELECT count(*) FROM redundancy_journal");
            any = connection.prepareStatement("SELECT EXISTS (SELECT 1 FROM redundancy_journal)");
            any.executeQuery().close();
        } catch (SQLException e) {
            System.out.println("note: journal probe of " + database + " unavailable (" + e.getMessage()
                    + "); backlog and drain from MirrorRuntime.pending");
            close();
        }
    }

    /** Journal entries not yet applied to the secondary; -1 when unknown. */
    long backlog() {
        if (count == null) {
            return runtime.pending(Node.PRIMARY);
        }
        try (ResultSet rs = count.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            return -1;
        }
    }

    /** True when the journal is empty. */
    boolean drained() {
        if (any == null) {
            return runtime.pending(Node.PRIMARY) == 0;
        }
        try (ResultSet rs = any.executeQuery()) {
            rs.next();
            return !rs.getBoolean(1);
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void close() {
        try {
            if (connection != null) {
                connection.close();
            }
        } catch (SQLException ignored) {
            // closing anyway
        }
        connection = null;
        count = null;
        any = null;
    }
}
