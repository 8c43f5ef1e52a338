package io.dbredundancy.hibernate.cli;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.NodeConfig;
import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.lease.Lease;
import io.dbredundancy.hibernate.lease.LeaseProtocol;
import io.dbredundancy.hibernate.sync.Endpoint;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code sync} and {@code repair} check before they write into a database, unless {@code --force}: they refuse to
 * rewrite the database the lease names active (the applications write there now), and one whose journal still holds
 * changes it took that the other database has not received (the overwrite would lose them). Reads both databases,
 * writes nothing.
 */
final class LiveTargetGuard {

    /** A write refused: why, and what to run instead. Exit code {@link ExitCodes#REFUSED}. */
    static final class Refused extends RuntimeException {
        final String fix;

        Refused(String problem, String fix) {
            super(problem);
            this.fix = fix;
        }
    }

    private LiveTargetGuard() {
    }

    /**
     * Throws {@link Refused} when {@code command} (as typed, e.g. {@code "sync --to secondary --full"}) must not write
     * into {@code target}; {@code rerun} is the same command towards the other database.
     */
    static void check(RedundancyConfig config, Node target, String command, String rerun) throws SQLException {
        List<Lease> leases = new ArrayList<>();
        long pending = 0;
        Timestamp oldest = null;
        for (Node n : Node.values()) {
            NodeConfig nc = config.node(n);
            Connection c;
            try {
                c = Endpoint.open(nc, Probe.TIMEOUT_S, "db-redundancy-cli");
            } catch (SQLException e) {
                throw new SQLException("cannot reach the " + n.id() + " database " + nc.displayUrl() + ": "
                        + Diagnosis.message(e), e.getSQLState(), e);
            }
            try (c; Statement st = c.createStatement()) {
                leases.add(lease(st));
                if (n == target && Probe.exists(st, "redundancy_journal")) {
                    try (PreparedStatement ps = c.prepareStatement(
                            "select count(*), min(created_at) from redundancy_journal where origin = ?")) {
                        ps.setString(1, target.id());
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            pending = rs.getLong(1);
                            oldest = rs.getTimestamp(2);
                        }
                    }
                }
            }
        }
        Node other = target.other();
        String refusing = "redundancy " + command + " refused: ";
        Lease best = Lease.best(leases);
        if (best != null && best.active() == target) {
            throw new Refused(refusing + "the lease names the " + target.id() + " database active (epoch "
                    + best.epoch() + (best.holder() == null ? "" : ", by " + best.holder()) + ", renewed "
                    + age(best.ageMs()) + " ago): the applications write there now",
                    "to bring the " + other.id() + " up to date run: redundancy " + rerun + "; to rewrite the "
                            + target.id() + ", make the " + other.id() + " active first (redundancy "
                            + (other == Node.SECONDARY ? "failover" : "failback") + "); or add --force");
        }
        if (pending > 0) {
            throw new Refused(refusing + "the " + target.id() + " database's journal holds " + pending
                    + " change(s) taken there" + (oldest == null ? "" : " (the oldest at " + oldest.toInstant() + ")")
                    + " that the " + other.id() + " has not received yet; the overwrite would lose them",
                    "let a running application's relay apply them (redundancy status: mirror pending), or copy them"
                            + " first: redundancy " + rerun + "; or add --force to overwrite it anyway");
        }
    }

    private static Lease lease(Statement st) throws SQLException {
        return Probe.exists(st, "redundancy_lease") ? LeaseProtocol.read(st.getConnection()) : null;
    }

    private static String age(long ms) {
        long s = Math.max(0, ms) / 1000;
        if (s < 120) {
            return s + " s";
        }
        return s < 7200 ? s / 60 + " min" : s / 3600 + " h";
    }
}
