package io.dbredundancy.hibernate.cli;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.NodeConfig;
import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.sync.Endpoint;
import io.dbredundancy.hibernate.sync.SyncOptions;
import picocli.CommandLine.Command;

import java.net.InetAddress;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * failover / failback: write the desired active node with the next fencing epoch into {@code redundancy_lease} in
 * every reachable database; the running applications follow the lease.
 */
final class LeaseCommands {

    static final String DDL = """
            create table if not exists redundancy_lease (
              id          int primary key check (id = 1),
              active_node text   not null,
              epoch       bigint not null,
              holder      text,
              updated_at  timestamptz,
              renewed_at  timestamptz,
              manual      boolean not null default false);
            alter table redundancy_lease add column if not exists renewed_at timestamptz;
            alter table redundancy_lease add column if not exists manual boolean not null default false""";

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
            if (open.size() == 2) {
                List<String> moved = cmd.sync().alignSequences(active, SyncOptions.defaults());
                if (!moved.isEmpty()) {
                    cmd.root.out.println(moved.size() + " sequence(s) of the " + active.id() + " database moved past the "
                            + active.other().id() + "'s");
                }
            }
            long epoch = 0;
            for (Connection c : open.values()) {
                try (Statement st = c.createStatement()) {
                    st.execute(DDL);
                    try (ResultSet rs = st.executeQuery("select coalesce(max(epoch), 0) from redundancy_lease")) {
                        rs.next();
                        epoch = Math.max(epoch, rs.getLong(1));
                    }
                }
            }
            long next = epoch + 1;
            String holder = "redundancy-cli@" + host();
            for (Connection c : open.values()) {
                // the lease lock (exclusive) waits for the transactions that passed the fencing check under the old lease
                c.setAutoCommit(false);
                try (Statement st = c.createStatement();
                     PreparedStatement ps = c.prepareStatement("""
                        insert into redundancy_lease (id, active_node, epoch, holder, manual, updated_at, renewed_at)
                        values (1, ?, ?, ?, ?, now(), now())
                        on conflict (id) do update set active_node = excluded.active_node, epoch = excluded.epoch,
                          holder = excluded.holder, manual = excluded.manual, updated_at = now(), renewed_at = now()""")) {
                    st.execute("set local lock_timeout = '5s'");
                    st.execute("select pg_advisory_xact_lock(465557353317)");
                    st.execute("select 1 from redundancy_lease where id = 1 for update");
                    ps.setString(1, active.id());
                    ps.setLong(2, next);
                    ps.setString(3, holder);
                    ps.setBoolean(4, active == Node.SECONDARY);
                    ps.executeUpdate();
                    c.commit();
                } catch (SQLException e) {
                    c.rollback();
                    throw e;
                } finally {
                    c.setAutoCommit(true);
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

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "unknown";
        }
    }
}
