package io.dbredundancy.hibernate.routing;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import io.dbredundancy.hibernate.ActiveNode;
import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.NodeConfig;
import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.SwitchEvent;
import io.dbredundancy.hibernate.health.HealthMonitor;
import io.dbredundancy.hibernate.health.HealthState;
import io.dbredundancy.hibernate.health.NodeHealth;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Hands out the connections of the node a session names, tracked while in use; never reroutes. A node known to be
 * down fails at once with the clear error of {@link #unavailable}; a HikariCP pool is waited on in slices of
 * {@link #ACQUIRE_SLICE_MS}, so a thread waiting for a node that has just been switched away from gets that error at
 * once instead of after the pool's whole connection time-out. On a switch away from a failed node its connections in
 * use are aborted.
 */
final class ConnectionRouter {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.routing");
    static final long ACQUIRE_SLICE_MS = 50;

    private final RedundancyConfig config;
    private final HealthMonitor monitor;
    private final Map<Node, DataSource> dataSources;
    private final Map<Node, Set<TrackedConnection>> inUse = new EnumMap<>(Node.class);
    private final SwitchGate gate;
    private final long acquireTimeoutMs;

    ConnectionRouter(RedundancyConfig config, HealthMonitor monitor, Map<Node, DataSource> dataSources, SwitchGate gate,
                     long acquireTimeoutMs) {
        this.config = config;
        this.monitor = monitor;
        this.dataSources = dataSources;
        this.gate = gate;
        this.acquireTimeoutMs = acquireTimeoutMs;
        for (Node n : dataSources.keySet()) {
            inUse.put(n, ConcurrentHashMap.newKeySet());
        }
    }

    void track(Node node, TrackedConnection c) {
        inUse.get(node).add(c);
    }

    void untrack(Node node, TrackedConnection c) {
        inUse.get(node).remove(c);
    }

    /** Passive signal of a tracked connection: an error seen on {@code node}. */
    void reportFailure(Node node, Throwable cause) {
        monitor.reportFailure(node, cause);
    }

    /** A connection of {@code node} for a session, tracked; fails at once when that node is known to be down. */
    Connection connection(Node node) throws SQLException {
        HealthState s = monitor.state();
        NodeHealth h = s.health(node);
        if (s.active() == ActiveNode.NONE || h == null || (s.active().node() != node && !h.up())) {
            throw unavailable(node, s);
        }
        gate.awaitPrepared(node, s);
        Connection c;
        try {
            c = acquire(node, s.epoch());
        } catch (SQLException e) {
            monitor.reportFailure(node, e);
            throw e;
        }
        return TrackedConnection.wrap(c, node, this, s.epoch());
    }

    /** Borrows from the node's pool, in slices of {@link #ACQUIRE_SLICE_MS} for a HikariCP pool. */
    private Connection acquire(Node node, long epoch) throws SQLException {
        DataSource ds = dataSources.get(node);
        if (!(ds instanceof HikariDataSource h) || !(h.getHikariPoolMXBean() instanceof HikariPool pool)) {
            return ds.getConnection();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(acquireTimeoutMs);
        while (true) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            try {
                return pool.getConnection(Math.max(1, Math.min(ACQUIRE_SLICE_MS, left)));
            } catch (SQLTransientConnectionException e) {
                HealthState now = monitor.state();
                NodeHealth nodeHealth = now.health(node);
                if (now.epoch() != epoch && now.active().node() != node && (nodeHealth == null || !nodeHealth.up())) {
                    SQLException gone = unavailable(node, now);
                    gone.initCause(e);
                    throw gone;
                }
                if (System.nanoTime() - deadline >= 0) {
                    throw e;
                }
            }
        }
    }

    /** For boot and schema tooling: the serving node first, then the other; never tracked. */
    Connection anyConnection() throws SQLException {
        HealthState s = monitor.state();
        if (s.active() == ActiveNode.NONE) {
            throw unavailable(Node.PRIMARY, s); // both known down: at once, not after two pool time-outs
        }
        Node first = s.active() == ActiveNode.SECONDARY ? Node.SECONDARY : Node.PRIMARY;
        SQLException failure = null;
        for (Node n : List.of(first, first.other())) {
            NodeHealth h = s.health(n);
            if (h == null || (!h.up() && s.active() != ActiveNode.NONE)) {
                continue;
            }
            try {
                return dataSources.get(n).getConnection();
            } catch (SQLException e) {
                monitor.reportFailure(n, e);
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        SQLException e = unavailable(first, monitor.state().active() == ActiveNode.NONE ? monitor.state()
                : new HealthState(ActiveNode.NONE, s.primary(), s.secondary(), s.epoch(), s.failoverCount(),
                s.lastFailover(), s.lastSwitch(), false, s.startedAt()));
        if (failure != null) {
            e.initCause(failure);
        }
        throw e;
    }

    /** A switch: aborts the connections in use on a failed node (freeing the threads blocked on them), evicts its pool. */
    void switched(SwitchEvent e, Executor workers) {
        Node from = e.from().node();
        if (from == null) {
            return;
        }
        if (e.fromFailed()) {
            int n = 0;
            for (TrackedConnection c : List.copyOf(inUse.get(from))) {
                c.abort(workers);
                untrack(from, c);
                n++;
            }
            if (n > 0) {
                LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] aborted " + n + " connection(s) in use on the"
                        + " failed " + from + " database");
            }
        }
        if (dataSources.get(from) instanceof HikariDataSource h && h.getHikariPoolMXBean() != null) {
            h.getHikariPoolMXBean().softEvictConnections();
        }
    }

    /** The error of a session asking for {@code node} when it cannot have it: which database is down and why. */
    SQLException unavailable(Node node, HealthState s) {
        if (s.active() == ActiveNode.NONE) {
            if (s.secondary() == null) {
                return new SQLException("[DB-Redundancy] The primary database is unavailable and no secondary is"
                        + " configured (primary " + config.primary().displayUrl() + ": " + s.primary().lastError() + ")",
                        "08001");
            }
            return new SQLException("[DB-Redundancy] Both primary and secondary databases are unavailable (primary "
                    + config.primary().displayUrl() + ": " + s.primary().lastError() + "; secondary "
                    + config.secondary().orElseThrow().displayUrl() + ": " + s.secondary().lastError() + ")", "08001");
        }
        NodeConfig nc = node == Node.SECONDARY && s.secondary() == null ? null : config.node(node);
        if (nc == null) {
            return new SQLException("[DB-Redundancy] No secondary database is configured"
                    + " (hibernate.redundancy.secondary.url)", "08001");
        }
        return new SQLException("[DB-Redundancy] The " + node + " database " + nc.displayUrl() + " is down ("
                + s.health(node).lastError() + "); the " + s.active() + " database serves now: this session was"
                + " opened before the switch, open a new EntityManager/Session", "08001");
    }
}
