package io.dbredundancy.hibernate.routing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.NodeConfig;
import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.health.HealthPolicy;
import io.dbredundancy.hibernate.health.JdbcProber;

import javax.sql.DataSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The HikariCP pool of a node: its settings at start, and closing the pools of a unit; and the connections a unit
 * opens outside the pools (probes, lease), through the driver or the container's DataSource.
 */
final class NodePools {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.routing");

    private NodePools() {
    }

    /**
     * How the probes and the lease keeper open a connection to each of {@code nodes}: from its container DataSource
     * when {@code jndi} has one, else through the driver, never through a pool.
     */
    static Map<Node, JdbcProber.Opener> openers(RedundancyConfig config, List<Node> nodes, Map<Node, DataSource> jndi) {
        Map<Node, JdbcProber.Opener> openers = new EnumMap<>(Node.class);
        for (Node n : nodes) {
            NodeConfig nc = config.node(n);
            DataSource ds = jndi.get(n);
            openers.put(n, ds != null ? JdbcProber.dataSource(ds) : JdbcProber.driver(nc.jdbcUrl(), nc.user(), nc.password()));
        }
        return openers;
    }

    /**
     * A pool that starts while its node is down ({@code initializationFailTimeout} -1) and times out after
     * {@code acquireTimeoutMs}, with the driver's connect time-out from {@code health.timeout_ms}.
     */
    static HikariDataSource pool(NodeConfig nc, RedundancyConfig config, HealthPolicy policy, long acquireTimeoutMs) {
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("db-redundancy-" + nc.node().id());
        hc.setJdbcUrl(nc.jdbcUrl());
        if (nc.user() != null) {
            hc.setUsername(nc.user());
        }
        if (nc.password() != null) {
            hc.setPassword(nc.password());
        }
        hc.setMaximumPoolSize(config.poolMaxSize());
        hc.setMinimumIdle(config.poolMinIdle());
        hc.setInitializationFailTimeout(-1);
        hc.setConnectionTimeout(acquireTimeoutMs);
        hc.setValidationTimeout(Math.max(250, Math.min(policy.timeoutMs(), acquireTimeoutMs - 1)));
        hc.setKeepaliveTime(30_000);
        hc.addDataSourceProperty("connectTimeout", Long.toString(Math.max(1, (policy.timeoutMs() * 2 + 999) / 1000)));
        hc.addDataSourceProperty("tcpKeepAlive", "true");
        if (!nc.url().parameters().containsKey("ApplicationName")) {
            hc.addDataSourceProperty("ApplicationName", "db-redundancy");
        }
        return new HikariDataSource(hc);
    }

    /**
     * Closes the HikariCP pools among {@code dataSources} in parallel and waits up to 2 s: a pool whose node is down
     * can take seconds to stop (its connection filler backs off); what is left finishes on daemon threads.
     */
    static void closeAll(Collection<DataSource> dataSources, Executor workers, String unit) {
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (DataSource ds : dataSources) {
            if (ds instanceof HikariDataSource h) {
                closing.add(CompletableFuture.runAsync(h::close, workers));
            }
        }
        try {
            CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] pools of unit " + unit + " still closing: " + e);
        }
    }
}
