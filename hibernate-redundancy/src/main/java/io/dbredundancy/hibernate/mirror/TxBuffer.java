package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.Node;
import org.hibernate.engine.spi.SharedSessionContractImplementor;
import org.hibernate.engine.spi.TransactionCompletionCallbacks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The changes of one transaction (Envers' {@code AuditProcess} pattern): the rows and collections it touched, in
 * the order the database must see them, written into the journal of the database that took them by a
 * before-completion callback, on the transaction's own connection, so a commit and its journal rows live or die
 * together. The rows' images are read by the database itself at that moment ({@code redundancy_capture}), so they
 * are exactly what commits.
 */
final class TxBuffer implements TransactionCompletionCallbacks.BeforeCompletionCallback,
        TransactionCompletionCallbacks.AfterCompletionCallback {

    static final String CAPTURE_SQL = "SELECT redundancy_capture(?, ?, ?::jsonb)";
    /** SQLState of the fencing check of {@code redundancy_capture}: the lease names another node or a later epoch. */
    static final String FENCED = "RD001";

    private record Change(String table, char op, String key) {
    }

    private final MirrorRuntime runtime;
    private final Node origin;
    private final Map<String, Change> changes = new LinkedHashMap<>();
    private boolean anyInsert;
    private long lastJournalId = -1;

    TxBuffer(MirrorRuntime runtime, Node origin) {
        this.runtime = runtime;
        this.origin = origin;
    }

    Node origin() {
        return origin;
    }

    /**
     * Records a change of one row ({@code op} I, U, D) or of one owner's collection rows (C). Inserts keep their
     * first place (a parent before its children); a delete moves to the end (children before their parent).
     */
    void add(String table, char op, String key) {
        String id = table + '\u0000' + key;
        Change old = changes.get(id);
        if (op == 'I') {
            anyInsert = true;
        }
        if (old == null) {
            changes.put(id, new Change(table, op, key));
        } else if (op == 'D') {
            changes.remove(id);
            changes.put(id, new Change(table, op, key));
        } else {
            changes.put(id, new Change(table, old.op() == 'I' ? 'I' : op, key));
        }
    }

    @Override
    public void doBeforeTransactionCompletion(SharedSessionContractImplementor session) {
        if (changes.isEmpty() || !session.isTransactionInProgress()) {
            return;
        }
        StringBuilder json = new StringBuilder(changes.size() * 64).append('[');
        for (Iterator<Change> it = changes.values().iterator(); it.hasNext(); ) {
            Change c = it.next();
            json.append("{\"t\":");
            KeyJson.string(json, c.table());
            json.append(",\"op\":\"").append(c.op()).append("\",\"k\":").append(c.key()).append('}');
            if (it.hasNext()) {
                json.append(',');
            }
        }
        json.append(']');
        MirrorHost host = runtime.host();
        Node active = host.activeNode();
        if (active != origin && host.redundancyEnabled()) {
            // this instance has switched away from the node this transaction runs on: it is demoted
            throw new org.hibernate.exception.JDBCConnectionException("[DB-Redundancy] write refused: the "
                    + origin.id() + " database is no longer the active one (now: "
                    + (active == null ? "none" : active.id()) + ", epoch " + host.epoch()
                    + "); retry in a new transaction", new SQLException("demoted database " + origin.id(), "RD001"));
        }
        try {
            Connection connection = session.getJdbcCoordinator().getLogicalConnection().getPhysicalConnection();
            try (PreparedStatement ps = connection.prepareStatement(CAPTURE_SQL)) {
                ps.setLong(1, host.epochOf(connection));
                ps.setString(2, origin.id());
                ps.setString(3, json.toString());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    lastJournalId = rs.getLong(1);
                }
            }
        } catch (SQLException e) {
            if (FENCED.equals(e.getSQLState())) {
                runtime.host().fenced(origin);
            }
            throw session.getJdbcServices().getSqlExceptionHelper().convert(e, FENCED.equals(e.getSQLState())
                    ? "[DB-Redundancy] write refused by the lease of the " + origin.id() + " database"
                    : "[DB-Redundancy] Could not write the mirror journal on " + origin.id()
                            + " (is the changelog " + "db/redundancy/changelog.xml applied?)");
        }
    }

    @Override
    public void doAfterTransactionCompletion(boolean success, SharedSessionContractImplementor session) {
        runtime.completed(session, this);
        if (success && lastJournalId > 0) {
            runtime.committed(origin, lastJournalId, anyInsert);
        }
    }
}
