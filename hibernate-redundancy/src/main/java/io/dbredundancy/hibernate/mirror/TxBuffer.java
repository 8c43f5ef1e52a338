package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.outcome.CommitTracker;
import io.dbredundancy.hibernate.outcome.TransactionId;
import org.hibernate.engine.spi.SharedSessionContractImplementor;
import org.hibernate.resource.transaction.spi.TransactionObserver;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The changes of one transaction (Envers' {@code AuditProcess} pattern): the rows and collections it touched, in
 * the order the database must see them, written into the journal of the database that took them before the commit,
 * on the transaction's own connection, so a commit and its journal rows live or die together. It observes the
 * session's transaction ({@link TransactionObserver}, the same SPI in Hibernate 6.6 and 7.x; Hibernate calls it after
 * the flush). The rows' images are read by the database itself at that moment ({@link CaptureStatement}), so they are
 * exactly what commits.
 * <p>
 * The same statement records the transaction in {@code redundancy_tx} under a new {@link TransactionId} (no extra
 * round trip) and hands the id to the connection ({@link CommitTracker}), so that a commit whose connection dies
 * reports which transaction's outcome is unknown.
 */
final class TxBuffer implements TransactionObserver {

    /**
     * The generic capture (a PL/pgSQL loop of dynamic SQL, version 7), for a transaction that changed a table the
     * {@link CaptureStatement} does not know. Records the transaction first (FROM is evaluated before the select
     * list), then journals its changes.
     */
    static final String CAPTURE_SQL = "SELECT redundancy_capture(?, ?, ?::jsonb), b.xid"
            + " FROM redundancy_tx_begin(?, ?, ?) AS b(xid)";
    /** SQLState of the fencing check of {@code redundancy_capture}: the lease names another node or a later epoch. */
    static final String FENCED = "RD001";

    private record Change(String table, char op, String key) {
    }

    /** What a committed transaction journaled: its entries have ids from {@code first} to {@code last} and tx_id {@code xid}. */
    record Journaled(long xid, long first, long last) {
    }

    private final MirrorRuntime runtime;
    private final Node origin;
    private final SharedSessionContractImplementor session;
    private final Map<String, Change> changes = new LinkedHashMap<>();
    private boolean anyInsert;
    private long firstJournalId = -1;
    private long lastJournalId = -1;
    private long xid;

    TxBuffer(MirrorRuntime runtime, Node origin, SharedSessionContractImplementor session) {
        this.runtime = runtime;
        this.origin = origin;
        this.session = session;
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
    public void afterBegin() {
        // registered once the transaction has begun (its first change)
    }

    /** Journals the changes; Hibernate calls it after the flush, on the transaction's own connection. */
    @Override
    public void beforeCompletion() {
        if (changes.isEmpty() || !session.isTransactionInProgress()) {
            return;
        }
        CaptureStatement statement = runtime.captureStatement();
        boolean covered = true;
        StringBuilder json = new StringBuilder(changes.size() * 64).append('[');
        int n = 0;
        for (Iterator<Change> it = changes.values().iterator(); it.hasNext(); ) {
            Change c = it.next();
            if (c.op() != 'C' && !statement.covers(c.table())) {
                covered = false;
            }
            json.append("{\"n\":").append(n++).append(",\"t\":");
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
            UUID tx = UUID.randomUUID();
            // the epoch this instance serves the node in now (checked above): an instance that switched away and
            // back serves it again, a stale one is refused by the lease
            long epoch = host.epoch();
            if (covered) {
                try (PreparedStatement ps = connection.prepareStatement(statement.sql(connection))) {
                    ps.setObject(1, tx);
                    ps.setString(2, origin.id());
                    ps.setLong(3, epoch);
                    ps.setLong(4, epoch);
                    ps.setString(5, origin.id());
                    ps.setObject(6, tx);
                    ps.setString(7, json.toString());
                    try (ResultSet rs = ps.executeQuery()) {
                        long first = Long.MAX_VALUE;
                        long last = -1;
                        while (rs.next()) {
                            long id = rs.getLong(1);
                            first = Math.min(first, id);
                            last = Math.max(last, id);
                            xid = rs.getLong(2);
                        }
                        firstJournalId = first;
                        lastJournalId = last;
                    }
                }
            } else {
                try (PreparedStatement ps = connection.prepareStatement(CAPTURE_SQL)) {
                    ps.setLong(1, epoch);
                    ps.setString(2, origin.id());
                    ps.setString(3, json.toString());
                    ps.setObject(4, tx);
                    ps.setString(5, origin.id());
                    ps.setLong(6, epoch);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        lastJournalId = rs.getLong(1);
                        firstJournalId = 1; // its ids interleave with other transactions'
                        xid = rs.getLong(2);
                    }
                }
            }
            if (connection.isWrapperFor(CommitTracker.class)) {
                connection.unwrap(CommitTracker.class).pendingTransaction(new TransactionId(origin, xid, tx).toString());
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
    public void afterCompletion(boolean success, boolean delayed) {
        session.getTransactionCoordinator().removeObserver(this);
        runtime.completed(session, this);
        if (success && lastJournalId > 0) {
            runtime.committed(origin, new Journaled(xid, firstJournalId, lastJournalId), anyInsert);
        }
    }
}
