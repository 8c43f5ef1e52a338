package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.NodeConfig;
import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.RedundancyConfigException;
import io.dbredundancy.hibernate.health.HealthPolicy;
import io.dbredundancy.hibernate.health.HealthState;
import io.dbredundancy.hibernate.health.JdbcProber;
import io.dbredundancy.hibernate.health.NodeHealth;
import io.dbredundancy.hibernate.health.ProbeResult;

import java.time.Clock;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The first check of each node at start, in parallel: the initial health state, and one line on what this start
 * serves from. Wrong credentials, hosts or databases stop the start.
 */
final class StartCheck {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.routing");

    private StartCheck() {
    }

    static HealthState run(RedundancyConfig config, List<Node> nodes, JdbcProber prober, HealthPolicy policy,
                           Clock clock, Executor workers) {
        long timeout = Math.max(policy.timeoutMs(), 2000);
        Map<Node, CompletableFuture<ProbeResult>> checks = new EnumMap<>(Node.class);
        for (Node n : nodes) {
            checks.put(n, CompletableFuture.supplyAsync(() -> prober.probe(n, timeout), workers));
        }
        Map<Node, ProbeResult> results = new EnumMap<>(Node.class);
        for (Node n : nodes) {
            ProbeResult r;
            try {
                r = checks.get(n).get(timeout + 2000, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                r = ProbeResult.timedOut(timeout);
            }
            results.put(n, r);
        }
        for (Node n : nodes) {
            ProbeResult r = results.get(n);
            if (r.configurationError()) {
                NodeConfig nc = config.node(n);
                String what = switch (r.kind()) {
                    case AUTHENTICATION -> "the " + n + " database rejected the credentials of user '" + nc.user()
                            + "' (check " + nc.urlProperty().replace(".url", ".user") + "/password or the URL's credentials)";
                    case UNKNOWN_HOST -> "unknown host '" + (nc.url() == null ? "?" : nc.url().host()) + "'";
                    default -> "the " + n + " database does not exist";
                };
                throw new RedundancyConfigException(nc.urlProperty(), nc.urlProperty() + ": " + what + " ("
                        + nc.displayUrl() + "): " + r.error());
            }
        }
        Instant now = clock.instant();
        ProbeResult pr = results.get(Node.PRIMARY);
        NodeHealth primary = NodeHealth.initial(Node.PRIMARY, pr.ok(), pr.latencyMs(), now, pr.error());
        NodeHealth secondary = null;
        if (config.redundancyEnabled()) {
            ProbeResult sr = results.get(Node.SECONDARY);
            secondary = NodeHealth.initial(Node.SECONDARY, sr.ok(), sr.latencyMs(), now, sr.error());
        }
        String sec = config.secondary().map(NodeConfig::displayUrl).orElse(null);
        if (!config.redundancyEnabled()) {
            LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] no secondary database configured"
                    + " (hibernate.redundancy.secondary.url / DATABASE_URL_SECONDARY): redundancy disabled, running on"
                    + " the primary alone");
        }
        if (!pr.ok() && secondary != null && secondary.up()) {
            LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] primary " + config.primary().displayUrl()
                    + " is down at start (" + pr.error() + "): serving from the secondary " + sec);
        } else if (pr.ok() && secondary != null && !secondary.up()) {
            LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] secondary " + sec + " is down at start ("
                    + results.get(Node.SECONDARY).error() + "): serving from the primary, status degraded");
        } else if (!pr.ok()) {
            LOG.log(System.Logger.Level.ERROR, "[DB-Redundancy] " + (secondary == null ? "the primary database is"
                    : "Both primary and secondary databases are") + " unavailable at start (primary: " + pr.error()
                    + (secondary == null ? "" : "; secondary: " + results.get(Node.SECONDARY).error())
                    + "): sessions fail until one returns");
        }
        return HealthState.initial(primary, secondary, now);
    }
}
