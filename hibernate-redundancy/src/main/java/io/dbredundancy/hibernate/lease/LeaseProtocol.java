package io.dbredundancy.hibernate.lease;

import io.dbredundancy.hibernate.Node;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;

/**
 * How an instance, or the command line, talks to the lease of one database: one call of {@code redundancy_lease_touch}
 * (library changelog, {@code db/redundancy/sync.xml}) that renews or writes a lease and reads it back, or only reads
 * it. The table and the function are created by the changelog alone; nothing here writes DDL.
 */
public final class LeaseProtocol {

    /**
     * The advisory lock of the lease ({@code 0x6C65617365}, "lease" in ASCII): {@code redundancy_lease_touch} takes it
     * exclusively to change the epoch, the fencing check of {@code redundancy_tx_open} and {@code redundancy_capture}
     * takes it shared, so a lease change waits for the transactions that passed the check under the old lease. The
     * changelog's functions carry the literal; {@code LeaseSqlContractTest} asserts it is this one, in {@code pg_locks}.
     */
    public static final long LOCK_KEY = 0x6C65617365L;

    /** The one round trip: {@code (epoch, node, holder, manual)}, epoch and node null to only read. */
    static final String TOUCH_SQL = "SELECT * FROM redundancy_lease_touch(?, ?, ?, ?)";

    /** SQLStates of a database without the lease function or table (the library changelog is not applied). */
    private static final String UNDEFINED_FUNCTION = "42883";
    private static final String UNDEFINED_TABLE = "42P01";

    private LeaseProtocol() {
    }

    /**
     * Proposes the lease {@code (epoch, node)} on {@code c}: renews it when the database's lease is that one, writes it
     * when it {@linkplain LeaseRules#outranks outranks} the database's lease (waiting up to a second for the fenced
     * transactions of the old one), leaves a later lease alone; then reads the lease back.
     *
     * @return the database's lease after the call (null when it has no row)
     * @throws SQLException {@link #isMissing} when the database has no lease function; SQLState {@code 55P03} when the
     *                      fenced transactions of the old lease did not end within the second
     */
    public static Lease propose(Connection c, long epoch, Node node, String holder, boolean manual) throws SQLException {
        return call(c, epoch, node, holder, manual);
    }

    /** The lease of {@code c}'s database (null when it has no row); writes nothing. */
    public static Lease read(Connection c) throws SQLException {
        return call(c, null, null, null, false);
    }

    private static Lease call(Connection c, Long epoch, Node node, String holder, boolean manual) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(TOUCH_SQL)) {
            if (epoch == null) {
                ps.setNull(1, Types.BIGINT);
                ps.setNull(2, Types.VARCHAR);
            } else {
                ps.setLong(1, epoch);
                ps.setString(2, node.id());
            }
            ps.setString(3, holder);
            ps.setBoolean(4, manual);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                Node active = "secondary".equals(rs.getString(2)) ? Node.SECONDARY : Node.PRIMARY;
                return new Lease(rs.getLong(1), active, rs.getString(3), rs.getBoolean(4), rs.getLong(5));
            }
        }
    }

    /** True when {@code e} says the database has no lease function or table: the library changelog is not applied. */
    public static boolean isMissing(SQLException e) {
        String state = e.getSQLState();
        return UNDEFINED_FUNCTION.equals(state) || UNDEFINED_TABLE.equals(state);
    }
}
