package io.dbredundancy.demo.system;

import io.dbredundancy.hibernate.RedundancyStatus.MirrorStatus;
import io.dbredundancy.hibernate.RedundancyStatus.NodeStatus;
import io.dbredundancy.hibernate.RedundancyStatus;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The /api/health document in the shapes source document 002 shows (without hot-swap, on the primary, after a failover). */
class HealthJsonTest {

    static final Instant NOW = Instant.parse("2025-11-14T10:30:00Z");

    static NodeStatus node(boolean up, int failures) {
        return new NodeStatus(up, 1.4, NOW, failures, "postgresql://app:***@h:5432/app", up ? null : "refused");
    }

    @Test
    void withoutSecondaryHotSwapIsDisabledWithTheHint() {
        RedundancyStatus s = new RedundancyStatus("degraded", false, "primary", node(true, 0), null, 0, null, 1000L,
                MirrorStatus.off(), null, "idle", 0);
        assertThat(HealthResource.toJson(s, NOW)).isEqualTo("{\"status\":\"healthy\",\"timestamp\":\"2025-11-14T10:30:00Z\","
                + "\"database\":\"connected\",\"hotSwap\":{\"enabled\":false,\"currentDatabase\":\"primary\","
                + "\"message\":\"Set DATABASE_URL_SECONDARY to enable automatic database failover\"}}");
    }

    @Test
    void onThePrimaryNoFailoverFieldsYet() {
        RedundancyStatus s = new RedundancyStatus("healthy", true, "primary", node(true, 0), node(true, 0), 0, null,
                5000L, MirrorStatus.off(), null, "idle", 0);
        assertThat(HealthResource.toJson(s, NOW)).isEqualTo("{\"status\":\"healthy\",\"timestamp\":\"2025-11-14T10:30:00Z\","
                + "\"database\":\"connected\",\"hotSwap\":{\"enabled\":true,\"currentDatabase\":\"primary\","
                + "\"failoverAvailable\":true,\"failureCount\":0}}");
    }

    @Test
    void afterAFailoverLastFailoverAndUptimeInSeconds() {
        RedundancyStatus s = new RedundancyStatus("degraded", true, "secondary", node(false, 7), node(true, 0), 1,
                Instant.parse("2025-11-14T10:25:00Z"), 300_400L, MirrorStatus.off(), null, "idle", 1);
        assertThat(HealthResource.toJson(s, NOW)).isEqualTo("{\"status\":\"healthy\",\"timestamp\":\"2025-11-14T10:30:00Z\","
                + "\"database\":\"connected\",\"hotSwap\":{\"enabled\":true,\"currentDatabase\":\"secondary\","
                + "\"failoverAvailable\":true,\"failureCount\":0,\"lastFailover\":\"2025-11-14T10:25:00Z\","
                + "\"uptimeSinceFailover\":\"300s\"}}");
    }

    @Test
    void noServingDatabaseIsUnhealthy() {
        RedundancyStatus s = new RedundancyStatus("down", true, "none", node(false, 9), node(false, 4), 1,
                Instant.parse("2025-11-14T10:25:00Z"), null, MirrorStatus.off(), null, "idle", 2);
        String json = HealthResource.toJson(s, NOW);
        assertThat(json).startsWith("{\"status\":\"unhealthy\"").contains("\"database\":\"disconnected\"",
                "\"currentDatabase\":\"none\"", "\"failoverAvailable\":false");
    }
}
