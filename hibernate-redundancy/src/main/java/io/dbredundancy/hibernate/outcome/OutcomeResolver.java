package io.dbredundancy.hibernate.outcome;

import io.dbredundancy.hibernate.CommitOutcome;
import io.dbredundancy.hibernate.DatabaseUrl;
import io.dbredundancy.hibernate.Node;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * Answers {@link CommitOutcome} for a {@link TransactionId} from the {@code redundancy_tx} records:
 * <ol>
 * <li>its record on the database it ran on, or on the other one (the relay copies it with the transaction's
 * entries): {@link CommitOutcome#COMMITTED};</li>
 * <li>else, on the database it ran on, an insert of the same key in a transaction that is rolled back: it conflicts
 * with a committed record ({@code COMMITTED}), waits for a transaction still holding it (its commit is running, or
 * its session lingers because the COMMIT never arrived), or succeeds when no transaction holds it any more: then
 * {@link CommitOutcome#NOT_COMMITTED} if PostgreSQL reports the transaction ({@code txid_status(xid)}) aborted. A lingering session that is idle in that transaction is ended
 * ({@code pg_terminate_backend}): its client is gone, so it could only commit if a delayed COMMIT still arrived;
 * once ended it never can;</li>
 * <li>{@link CommitOutcome#UNKNOWN} when that database cannot be reached, or its commit is still running when the
 * wait is over.</li>
 * </ol>
 * Every step is bounded: the pools' acquisition time-out, {@value #STATEMENT_TIMEOUT_S} s per statement, and the
 * caller's wait.
 */
public final class OutcomeResolver {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.outcome");

    static final int STATEMENT_TIMEOUT_S = 5;
    static final long PROBE_LOCK_MS = 500;

    private final Map<Node, DataSource> dataSources;

    /** {@code dataSources}: the unit's connections to each node it has (the secondary may be absent). */
    public OutcomeResolver(Map<Node, DataSource> dataSources) {
        this.dataSources = new EnumMap<>(dataSources);
    }

    private enum Probe { ABSENT, RECORDED, HELD, UNREACHABLE, UNCERTAIN }

    /** The outcome of {@code id}, waiting up to {@code maxWait} for a commit that is still running. */
    public CommitOutcome resolve(TransactionId id, Duration maxWait) {
        long deadline = System.nanoTime() + maxWait.toNanos();
        Node origin = id.node();
        Boolean onOrigin = recorded(origin, id);
        if (Boolean.TRUE.equals(onOrigin)) {
            return CommitOutcome.COMMITTED;
        }
        if (dataSources.containsKey(origin.other()) && Boolean.TRUE.equals(recorded(origin.other(), id))) {
            return CommitOutcome.COMMITTED;
        }
        if (onOrigin == null) {
            return CommitOutcome.UNKNOWN;
        }
        boolean ended = false;
        while (true) {
            long leftMs = (deadline - System.nanoTime()) / 1_000_000L;
            switch (probe(id, Math.max(100, Math.min(PROBE_LOCK_MS, leftMs)))) {
                case RECORDED:
                    return CommitOutcome.COMMITTED;
                case ABSENT:
                    return CommitOutcome.NOT_COMMITTED;
                case UNREACHABLE:
                case UNCERTAIN:
                    return CommitOutcome.UNKNOWN;
                default:
                    // HELD: its transaction is still open on the origin
                    if (!ended && endIfIdle(id)) {
                        ended = true;
                        continue;
                    }
                    if (System.nanoTime() - deadline >= 0) {
                        return CommitOutcome.UNKNOWN;
                    }
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return CommitOutcome.UNKNOWN;
                    }
            }
        }
    }

    /**
     * True/false when {@code node} answers whether it holds the record; null when it cannot be reached. A pooled
     * connection that a past outage broke is retried once with a fresh one.
     */
    private Boolean recorded(Node node, TransactionId id) {
        DataSource ds = dataSources.get(node);
        if (ds == null) {
            return null;
        }
        Boolean answer = recordedOnce(ds, node, id);
        return answer != null ? answer : recordedOnce(ds, node, id);
    }

    private Boolean recordedOnce(DataSource ds, Node node, TransactionId id) {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT 1 FROM redundancy_tx WHERE tx_id = ?")) {
            ps.setQueryTimeout(STATEMENT_TIMEOUT_S);
            ps.setObject(1, id.uuid());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState())) {
                return false; // the library's tables are not there (yet): no record
            }
            LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] Outcome of " + id + ": the " + node
                    + " database did not answer: " + DatabaseUrl.mask(String.valueOf(e.getMessage())));
            return null;
        }
    }

    /**
     * Inserts the record's key on the origin in a transaction that is rolled back, waiting up to {@code lockMs}; a
     * broken pooled connection is retried once.
     */
    private Probe probe(TransactionId id, long lockMs) {
        Probe p = probeOnce(id, lockMs);
        // UNREACHABLE: a pooled connection a past outage broke; once more with a fresh one
        return p != Probe.UNREACHABLE ? p : probeOnce(id, lockMs);
    }

    private Probe probeOnce(TransactionId id, long lockMs) {
        try (Connection c = dataSources.get(id.node()).getConnection()) {
            c.setAutoCommit(false);
            try {
                try (Statement st = c.createStatement()) {
                    st.execute("SET LOCAL lock_timeout = '" + lockMs + "ms'; SET LOCAL statement_timeout = '"
                            + STATEMENT_TIMEOUT_S + "s'");
                }
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO redundancy_tx (tx_id, origin, epoch, xid) VALUES (?, ?, 0, ?)")) {
                    ps.setObject(1, id.uuid());
                    ps.setString(2, id.node().id());
                    ps.setLong(3, id.xid());
                    ps.executeUpdate();
                }
                // no record and nobody holds it: PostgreSQL's own word on the transaction must agree (a record
                // pruned after the retention, or an id from another cluster, would otherwise read as not committed)
                try (PreparedStatement ps = c.prepareStatement("SELECT txid_status(?)")) {
                    ps.setLong(1, id.xid());
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        String status = rs.getString(1);
                        if ("aborted".equals(status)) {
                            return Probe.ABSENT;
                        }
                        LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] Outcome of " + id + ": no record, but"
                                + " the transaction's status there is " + status + " (record pruned, or not its id)");
                        return Probe.UNCERTAIN;
                    }
                }
            } catch (SQLException e) {
                String state = e.getSQLState();
                if ("23505".equals(state)) {
                    return Probe.RECORDED;
                }
                if ("55P03".equals(state)) {
                    return Probe.HELD;
                }
                if ("22023".equals(state)) { // txid_status: "transaction ID ... is in the future": not this cluster's
                    return Probe.UNCERTAIN;
                }
                LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] Outcome of " + id + ": probe failed: "
                        + DatabaseUrl.mask(String.valueOf(e.getMessage())));
                return Probe.UNREACHABLE;
            } finally {
                try {
                    c.rollback();
                } catch (SQLException ignored) {
                    // broken connection: the pool discards it, the server rolls back
                }
            }
        } catch (SQLException e) {
            return Probe.UNREACHABLE;
        }
    }

    /**
     * Ends the session that holds {@code id}'s transaction open on its origin when it is idle in it: its client lost
     * the connection during commit, so the COMMIT never arrived (or is still on its way). True when it was ended.
     */
    private boolean endIfIdle(TransactionId id) {
        try (Connection c = dataSources.get(id.node()).getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT a.pid, a.state, pg_terminate_backend(a.pid) FROM pg_stat_activity a"
                             + " WHERE a.backend_xid::text = ? AND a.state LIKE 'idle in transaction%'"
                             + " AND txid_status(?) = 'in progress'")) {
            ps.setQueryTimeout(STATEMENT_TIMEOUT_S);
            ps.setString(1, Long.toString(id.xid() & 0xFFFF_FFFFL));
            ps.setLong(2, id.xid());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && rs.getBoolean(3)) {
                    LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] Ended the session (pid " + rs.getInt(1)
                            + ") of transaction " + id + " on the " + id.node() + " database: it was '"
                            + rs.getString(2) + "' with its client gone, so its commit never arrived; it can no"
                            + " longer commit");
                    return true;
                }
            }
        } catch (SQLException e) {
            LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] Outcome of " + id + ": could not look for its"
                    + " session: " + DatabaseUrl.mask(String.valueOf(e.getMessage())));
        }
        return false;
    }

    /**
     * Deletes the records older than {@code retention} on the database behind {@code c} (a plain delete: nothing
     * journals it, each database keeps its own). Returns how many.
     */
    public static int prune(Connection c, Duration retention) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "DELETE FROM redundancy_tx WHERE created_at < clock_timestamp() - make_interval(secs => ?)")) {
            ps.setQueryTimeout(30);
            ps.setDouble(1, retention.toMillis() / 1000.0);
            return ps.executeUpdate();
        }
    }
}
