package io.dbredundancy.hibernate.metrics;

import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.testbed.PostgresPair;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.persistence.EntityManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The plugin's meters, HikariCP's and Hibernate's, bound to a registry for a real unit on two real servers. */
class UnitMetricsTest {

    @RegisterExtension
    static final PostgresPair PAIR = new PostgresPair();

    static EntityManagerFactory emf;
    static SimpleMeterRegistry registry;
    static UnitMetrics metrics;

    @BeforeAll
    static void start() {
        emf = Units.emf("metrics-test", PAIR.primary(), PAIR.secondary());
        registry = new SimpleMeterRegistry();
        metrics = UnitMetrics.bind(registry, emf, "orders");
    }

    @AfterAll
    static void stop() {
        if (metrics != null) {
            metrics.close();
        }
        if (emf != null) {
            emf.close();
        }
    }

    @Test
    void registersEveryMeterOfTheContract() {
        Set<String> names = registry.getMeters().stream().map(m -> m.getId().getName()).collect(Collectors.toSet());
        assertThat(names).contains(MeterNames.ACTIVE_NODE, MeterNames.NODE_ACTIVE, MeterNames.NODE_UP,
                MeterNames.NODE_CONSECUTIVE_FAILURES, MeterNames.FAILOVERS, MeterNames.FAILBACKS, MeterNames.EPOCH,
                MeterNames.HEALTH_CHECKS, MeterNames.PROBE_LATENCY, MeterNames.MIRROR_PENDING, MeterNames.MIRROR_LAG,
                MeterNames.MIRROR_APPLIED, MeterNames.MIRROR_CONFLICTS, MeterNames.MIRROR_PARKED, MeterNames.SYNC_ROWS);
        // the relay's own figures (the mirror is on by default)
        assertThat(names).contains(MeterNames.MIRROR_APPLIED_TOTAL, MeterNames.MIRROR_LAG_P99,
                MeterNames.MIRROR_PENDING_DIRECTION);
        // HikariCP's tracker on both pools, Hibernate's statistics
        assertThat(names).anyMatch(n -> n.startsWith("hikaricp.connections"));
        assertThat(registry.find("hikaricp.connections").meters().stream()
                .map(m -> m.getId().getTag("pool")).collect(Collectors.toSet())).hasSize(2);
        assertThat(names).anyMatch(n -> n.startsWith("hibernate."));
        // every meter carries the unit's tag
        assertThat(registry.getMeters().stream().filter(m -> m.getId().getName().startsWith("db.redundancy"))
                .map(Meter::getId)).allMatch(id -> "orders".equals(id.getTag(MeterNames.TAG_UNIT)));
    }

    /** A framework that binds Hibernate's meters itself (Spring Boot) binds the unit's without them: once each. */
    @Test
    void bindsNoHibernateStatisticsWhenAskedNotTo() {
        SimpleMeterRegistry other = new SimpleMeterRegistry();
        try (UnitMetrics without = UnitMetrics.bind(other, emf, "orders", false)) {
            Set<String> names = other.getMeters().stream().map(m -> m.getId().getName()).collect(Collectors.toSet());
            assertThat(names).contains(MeterNames.ACTIVE_NODE, MeterNames.MIRROR_APPLIED_TOTAL);
            assertThat(names).noneMatch(n -> n.startsWith("hibernate."));
        }
    }

    @Test
    void gaugesFollowTheUnitAndCountersCountSwitchesByReason() {
        assertThat(Units.selectOne(emf)).isNotNull();
        assertThat(registry.get(MeterNames.ACTIVE_NODE).gauge().value()).isEqualTo(1.0);
        assertThat(registry.get(MeterNames.NODE_UP).tag("node", "primary").gauge().value()).isEqualTo(1.0);
        assertThat(registry.get(MeterNames.NODE_UP).tag("node", "secondary").gauge().value()).isEqualTo(1.0);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            registry.get(MeterNames.ACTIVE_NODE).gauge().value(); // a read takes a fresh snapshot
            assertThat(registry.get(MeterNames.HEALTH_CHECKS).tag("node", "primary").tag("result", "success")
                    .counter().count()).isPositive();
            assertThat(registry.get(MeterNames.PROBE_LATENCY).tag("node", "secondary").timer().count()).isPositive();
        });

        Redundancy r = Redundancy.of(emf);
        r.failover();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(registry.get(MeterNames.ACTIVE_NODE).gauge().value()).isEqualTo(2.0);
            assertThat(registry.get(MeterNames.FAILOVERS).tag("reason", "manual").counter().count()).isEqualTo(1.0);
        });
        assertThat(registry.get(MeterNames.NODE_ACTIVE).tag("node", "secondary").gauge().value()).isEqualTo(1.0);
        assertThat(Units.selectOne(emf)).isNotNull();

        r.failback();
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            assertThat(registry.get(MeterNames.ACTIVE_NODE).gauge().value()).isEqualTo(1.0);
            assertThat(registry.get(MeterNames.FAILBACKS).tag("reason", "manual").counter().count()).isEqualTo(1.0);
        });
        assertThat(registry.get(MeterNames.EPOCH).gauge().value()).isGreaterThanOrEqualTo(2.0);
    }

    @Test
    void syncRunsAreCountedAndTimed() {
        metrics.meters().onSync("incremental", true, 42, Duration.ofMillis(120));
        assertThat(registry.get(MeterNames.SYNC_ROWS).tag("kind", "incremental").counter().count()).isEqualTo(42.0);
        assertThat(registry.get(MeterNames.SYNC_DURATION).tag("kind", "incremental").tag("result", "success")
                .timer().count()).isEqualTo(1);
    }
}
