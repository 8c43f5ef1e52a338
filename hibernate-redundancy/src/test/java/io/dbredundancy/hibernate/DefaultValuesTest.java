package io.dbredundancy.hibernate;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbredundancy.hibernate.RedundancyConfig.FailbackMode;
import io.dbredundancy.hibernate.RedundancyConfig.MirrorMode;
import io.dbredundancy.hibernate.RedundancyConfig.MirrorScope;
import org.junit.jupiter.api.Test;

import java.util.Map;

/**
 * Pins the documented defaults (README "Settings"): changing one is a change of the contract, made here on purpose,
 * not by accident in the parser.
 */
class DefaultValuesTest {

    private static RedundancyConfig minimal() {
        return RedundancyConfig.from(Map.of(RedundancySettings.PREFIX + "primary.url", "jdbc:postgresql://127.0.0.1:5432/app",
                RedundancySettings.PREFIX + "secondary.url", "jdbc:postgresql://127.0.0.1:5433/app"), Map.of());
    }

    @Test
    void unsetSettingsTakeTheDocumentedDefaults() {
        RedundancyConfig c = minimal();
        assertThat(c.poolMaxSize()).isEqualTo(10).isEqualTo(RedundancyConfig.DEFAULT_POOL_MAX_SIZE);
        assertThat(c.poolMinIdle()).isEqualTo(2).isEqualTo(RedundancyConfig.DEFAULT_POOL_MIN_IDLE);
        assertThat(c.healthIntervalMs()).isEqualTo(500).isEqualTo(RedundancyConfig.DEFAULT_HEALTH_INTERVAL_MS);
        assertThat(c.healthTimeoutMs()).isEqualTo(500).isEqualTo(RedundancyConfig.DEFAULT_HEALTH_TIMEOUT_MS);
        assertThat(c.failureThreshold()).isEqualTo(3).isEqualTo(RedundancyConfig.DEFAULT_FAILURE_THRESHOLD);
        assertThat(c.failbackThreshold()).isEqualTo(5).isEqualTo(RedundancyConfig.DEFAULT_FAILBACK_THRESHOLD);
        assertThat(c.primaryRetryIntervalMs()).isEqualTo(1000).isEqualTo(RedundancyConfig.DEFAULT_PRIMARY_RETRY_INTERVAL_MS);
        assertThat(c.failback()).isEqualTo(FailbackMode.AUTO).isEqualTo(RedundancyConfig.DEFAULT_FAILBACK);
        assertThat(c.mirrorMode()).isEqualTo(MirrorMode.ASYNC).isEqualTo(RedundancyConfig.DEFAULT_MIRROR_MODE);
        assertThat(c.mirrorScope()).isEqualTo(MirrorScope.ALL).isEqualTo(RedundancyConfig.DEFAULT_MIRROR_SCOPE);
        assertThat(c.syncIntervalMs()).isZero().isEqualTo(RedundancyConfig.DEFAULT_SYNC_INTERVAL_MS);
        assertThat(c.schemaChangelog()).isNull();
        assertThat(c.redundancyEnabled()).isTrue();
    }

    @Test
    void minimumIdleNeverExceedsAPoolSmallerThanItsDefault() {
        RedundancyConfig c = RedundancyConfig.from(Map.of(RedundancySettings.PREFIX + "primary.url",
                "jdbc:postgresql://127.0.0.1:5432/app", RedundancySettings.POOL_MAX_SIZE, "1"), Map.of());
        assertThat(c.poolMinIdle()).isEqualTo(1);
    }
}
