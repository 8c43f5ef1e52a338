package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.NodeConfig;
import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.RedundancyStatus;
import io.dbredundancy.hibernate.health.HealthState;
import io.dbredundancy.hibernate.health.NodeHealth;
import io.dbredundancy.hibernate.status.StatusContributor;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The status snapshot of a unit: its health state, and the mirror and sync parts from the features' contributors. */
final class StatusAssembly {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.routing");

    private final RedundancyConfig config;
    private final List<StatusContributor> contributors = new CopyOnWriteArrayList<>();

    StatusAssembly(RedundancyConfig config) {
        this.config = config;
    }

    void add(StatusContributor contributor) {
        contributors.add(contributor);
    }

    RedundancyStatus status(HealthState s, Instant now) {
        RedundancyStatus.MirrorStatus mirror = null;
        Instant lastSync = null;
        String syncStatus = null;
        for (StatusContributor c : contributors) {
            try {
                mirror = mirror != null ? mirror : c.mirror();
                lastSync = lastSync != null ? lastSync : c.lastSync();
                syncStatus = syncStatus != null ? syncStatus : c.syncStatus();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] status contributor failed: " + e);
            }
        }
        return new RedundancyStatus(s.status(), s.redundancy(), s.active().id(),
                nodeStatus(s.primary(), config.primary()),
                s.secondary() == null ? null : nodeStatus(s.secondary(), config.secondary().orElseThrow()),
                s.failoverCount(), s.lastFailover(),
                Duration.between(s.lastSwitch(), now).toMillis(),
                mirror != null ? mirror : RedundancyStatus.MirrorStatus.off(),
                lastSync, syncStatus != null ? syncStatus : "idle", s.epoch());
    }

    private static RedundancyStatus.NodeStatus nodeStatus(NodeHealth h, NodeConfig nc) {
        return new RedundancyStatus.NodeStatus(h.connected(), Math.round(h.latencyMs() * 10) / 10.0, h.lastCheck(),
                h.consecutiveFailures(), nc.displayUrl(), h.lastError());
    }
}
