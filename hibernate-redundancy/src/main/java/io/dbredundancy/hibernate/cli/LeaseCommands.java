package io.dbredundancy.hibernate.cli;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.NodeConfig;
import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.lease.Lease;
import io.dbredundancy.hibernate.lease.LeaseProtocol;
import io.dbredundancy.hibernate.sync.Endpoint;
import io.dbredundancy.hibernate.sync.SyncOptions;
import picocli.CommandLine.Command;

import java.net.InetAddress;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * failover / failback: write the desired active node with the next fencing epoch into {@code redundancy_lease} in
 * every reachable database; the running applications follow the lease.
 */
final class LeaseCommands {

    /** Attempts to write the lease where the fenced transactions of the old lease hold it up (a second each). */
    private static final int WRITE_ATTEMPTS = 5;

    private LeaseCommands() {
    }

    @Command(name = "failover", mixinStandardHelpOptions = true,
            description = {"Makes the secondary the active database: writes it with epoch+1 into redundancy_lease in"
                    + " both reachable databases (the applications follow), after moving the secondary's sequences"
                    + " past the primary's when the primary is reachable."})
    static final class Failover extends DbCommand {
        @Override
        public Integer call() throws SQLException {
            return switchTo(this, Node.SECONDARY);
        }
    }

    @Command(name = "failback", mixinStandardHelpOptions = true,
            description = {"Makes the primary the active database again: writes it with epoch+1 into redundancy_lease"
                    + " in both reachable databases, after moving the primary's sequences past the secondary's."})
    static final class Failback extends DbCommand {
        @Override
        public Integer call() throws SQLException {
            return switchTo(this, Node.PRIMARY);
        }
    }

    static int switchTo(DbCommand cmd, Node active) throws SQLException {
        RedundancyConfig config = cmd.config();
        if (config.secondary().isEmpty()) {
            throw new IllegalArgumentException("No secondary database configured: nothing to switch to (pass --secondary"
                    + " or set DATABASE_URL_SECONDARY)");
        }
        Map<Node, Connection> open = new LinkedHashMap<>();
        List<String> unreachable = new ArrayList<>();
        try {
            for (Node n : Node.values()) {
                NodeConfig nc = config.node(n);
                try {
                    open.put(n, Endpoint.open(nc, Probe.TIMEOUT_S, "db-redundancy-cli"));
                } catch (SQLException e) {
                    if (n == active) {
                        throw new SQLException("cannot switch to the " + n.id() + " database " + nc.displayUrl()
                                + ": it is unreachable: " + Diagnosis.message(e), e.getSQLState(), e);
                    }
                    unreachable.add(n.id() + " (" + Diagnosis.message(e) + ")");
                }
            }
            long epoch = 0;
            for (Map.Entry<Node, Connection> e : open.entrySet()) {
                Lease l = leaseCall(e.getKey(), config, () -> LeaseProtocol.read(e.getValue()));
                epoch = Math.max(epoch, l == null ? 0 : l.epoch());
            }
            if (open.size() == 2) {
                List<String> moved = cmd.sync().alignSequences(active, SyncOptions.defaults());
                if (!moved.isEmpty()) {
                    cmd.root.out.println(moved.size() + " sequence(s) of the " + active.id() + " database moved past the "
                            + active.other().id() + "'s");
                }
            }
            long next = epoch + 1;
            String holder = "redundancy-cli@" + host();
            for (Map.Entry<Node, Connection> e : open.entrySet()) {
                Lease l = write(e.getKey(), e.getValue(), config, next, active, holder);
                if (l == null || l.epoch() != next || l.active() != active) {
                    throw new IllegalStateException("the lease of the " + e.getKey().id() + " database was not written:"
                            + " it is now " + l + " (another instance switched meanwhile); check with: redundancy"
                            + " status, then run the command again");
                }
            }
            List<String> written = new ArrayList<>();
            open.keySet().forEach(n -> written.add(n.id()));
            cmd.root.out.println("active database is now the " + active.id() + " (epoch " + next + "); lease written to "
                    + String.join(" and ", written));
            for (String u : unreachable) {
                cmd.root.err.println("warning: lease not written to the unreachable " + u
                        + "; it takes the new epoch when it returns");
            }
            return ExitCodes.OK;
        } finally {
            for (Connection c : open.values()) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // closing
                }
            }
        }
    }

    /**
     * Proposes the lease {@code (epoch, active)} on {@code node}'s database (it outranks every lease read there), again
     * while the transactions fenced by the old lease hold the lease lock.
     */
    private static Lease write(Node node, Connection c, RedundancyConfig config, long epoch, Node active, String holder)
            throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try {
                return leaseCall(node, config, () -> LeaseProtocol.propose(c, epoch, active, holder,
                        active == Node.SECONDARY));
            } catch (SQLException e) {
                if (!LOCK_NOT_AVAILABLE.equals(e.getSQLState()) || attempt == WRITE_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    private static final String LOCK_NOT_AVAILABLE = "55P03";

    private interface LeaseCall {
        Lease call() throws SQLException;
    }

    /** One call of the lease protocol; a database without the library's lease table says what to run. */
    private static Lease leaseCall(Node node, RedundancyConfig config, LeaseCall call) throws SQLException {
        try {
            return call.call();
        } catch (SQLException e) {
            if (LeaseProtocol.isMissing(e)) {
                throw new IllegalStateException("the " + node.id() + " database " + config.node(node).displayUrl()
                        + " has no lease table (redundancy_lease_touch): the library changelog is not applied there;"
                        + " run: redundancy migrate", e);
            }
            throw e;
        }
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "unknown";
        }
    }
}
