package io.dbredundancy.hibernate.spring;

import io.dbredundancy.hibernate.RedundancyStatus;

import java.util.LinkedHashMap;
import java.util.Map;

/** SPI for the starters: the status snapshot as Actuator details (the same fields as the status JSON; URLs masked). */
public final class StatusDetails {

    private StatusDetails() {
    }

    public static Map<String, Object> of(RedundancyStatus s) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("status", s.status());
        d.put("redundancy", s.redundancy());
        d.put("activeDatabase", s.activeDatabase());
        d.put("primary", node(s.primary()));
        if (s.secondary() != null) {
            d.put("secondary", node(s.secondary()));
        }
        d.put("failoverCount", s.failoverCount());
        if (s.lastFailover() != null) {
            d.put("lastFailover", s.lastFailover().toString());
        }
        d.put("epoch", s.epoch());
        Map<String, Object> mirror = new LinkedHashMap<>();
        mirror.put("mode", s.mirror().mode());
        mirror.put("pending", s.mirror().pending());
        mirror.put("lagMs", s.mirror().lagMs());
        mirror.put("parked", s.mirror().parked());
        mirror.put("conflicts", s.mirror().conflicts());
        d.put("mirror", mirror);
        d.put("syncStatus", s.syncStatus());
        return d;
    }

    private static Map<String, Object> node(RedundancyStatus.NodeStatus n) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("connected", n.connected());
        m.put("latencyMs", n.latencyMs());
        if (n.lastCheck() != null) {
            m.put("lastCheck", n.lastCheck().toString());
        }
        m.put("consecutiveFailures", n.consecutiveFailures());
        m.put("url", n.url());
        if (n.lastError() != null) {
            m.put("lastError", n.lastError());
        }
        return m;
    }
}
