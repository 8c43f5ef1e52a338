package io.dbredundancy.hibernate.cli;

import io.dbredundancy.hibernate.NodeConfig;
import io.dbredundancy.hibernate.lease.Lease;
import io.dbredundancy.hibernate.lease.LeaseProtocol;
import io.dbredundancy.hibernate.sync.Endpoint;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Arrays;

/** One look at a database from the command line: reachable?, latency, the lease and sync rows it holds. */
final class Probe {

    static final int TIMEOUT_S = 5;

    final NodeConfig node;
    final Instant at = Instant.now();
    boolean connected;
    double latencyMs;
    String error;
    String leaseNode;
    long leaseEpoch = -1;
    String leaseHolder;
    Instant lastSync;
    boolean syncRunning;
    long journalPending;

    private Probe(NodeConfig node) {
        this.node = node;
    }

    static Probe of(NodeConfig node) {
        Probe p = new Probe(node);
        try (Connection c = Endpoint.open(node, TIMEOUT_S, "db-redundancy-cli")) {
            p.connected = true;
            p.latencyMs = latency(c);
            p.readLibraryTables(c);
        } catch (SQLException | RuntimeException e) {
            p.error = Diagnosis.of(e).line();
        }
        return p;
    }

    /** Median of five {@code select 1} round trips, ms. */
    static double latency(Connection c) throws SQLException {
        double[] ms = new double[5];
        try (Statement st = c.createStatement()) {
            for (int i = 0; i < ms.length; i++) {
                long t = System.nanoTime();
                st.execute("select 1");
                ms[i] = (System.nanoTime() - t) / 1e6;
            }
        }
        Arrays.sort(ms);
        return Math.round(ms[2] * 100) / 100.0;
    }

    private void readLibraryTables(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            if (exists(st, "redundancy_lease")) {
                Lease l = readLease(c);
                if (l != null) {
                    leaseNode = l.active().id();
                    leaseEpoch = l.epoch();
                    leaseHolder = l.holder();
                }
            }
            if (exists(st, "redundancy_sync_state")) {
                try (ResultSet rs = st.executeQuery("select max(updated_at), bool_or(task = 'full' and table_name = '*'"
                        + " and status = 'running' and updated_at > now() - interval '10 minutes')"
                        + " from redundancy_sync_state")) {
                    rs.next();
                    java.sql.Timestamp ts = rs.getTimestamp(1);
                    lastSync = ts == null ? null : ts.toInstant();
                    syncRunning = rs.getBoolean(2);
                }
            }
            if (exists(st, "redundancy_journal")) {
                try (ResultSet rs = st.executeQuery("select count(*) from redundancy_journal")) {
                    rs.next();
                    journalPending = rs.getLong(1);
                }
            }
        }
    }

    /** The lease through the library's protocol; null without a row, or on a table without its function. */
    private static Lease readLease(Connection c) throws SQLException {
        try {
            return LeaseProtocol.read(c);
        } catch (SQLException e) {
            if (LeaseProtocol.isMissing(e)) {
                return null;
            }
            throw e;
        }
    }

    static boolean exists(Statement st, String table) throws SQLException {
        try (ResultSet rs = st.executeQuery("select to_regclass('" + table.replace("'", "''") + "') is not null")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }
}
