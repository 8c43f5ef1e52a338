package io.dbredundancy.hibernate.metrics;

import io.dbredundancy.hibernate.ActiveNode;
import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.SwitchEvent;
import io.dbredundancy.hibernate.SwitchListener;
import io.dbredundancy.hibernate.mirror.MirrorRuntime;
import io.dbredundancy.hibernate.routing.RedundancyRuntime;
import io.dbredundancy.hibernate.routing.RuntimeLookup;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import jakarta.persistence.EntityManagerFactory;
import org.hibernate.SessionFactory;

import javax.sql.DataSource;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything measurable about one persistence unit, bound in one call:
 *
 * <pre>{@code
 * UnitMetrics.bind(registry, emf, "orders");
 * }</pre>
 *
 * <p>the plugin's meters ({@link RedundancyMetrics}, fed by the unit's switch events), HikariCP's meters on both
 * pools ({@link PoolMetrics}) and Hibernate's statistics ({@link HibernateStatisticsMetrics}). Call it only when
 * Micrometer is present ({@link MetricsSupport#micrometerPresent()}); the plugin itself never loads this package's
 * Micrometer classes.
 */
public final class UnitMetrics implements AutoCloseable {

    private final Redundancy redundancy;
    private final RedundancyMetrics meters;
    private final SwitchListener listener;

    private UnitMetrics(Redundancy redundancy, RedundancyMetrics meters) {
        this.redundancy = redundancy;
        this.meters = meters;
        this.listener = this::onSwitch;
    }

    /** Binds the unit's meters, tagged {@code unit=<name>}. Close the result to stop counting switches. */
    public static UnitMetrics bind(MeterRegistry registry, EntityManagerFactory emf, String name) {
        return bind(registry, emf, name, true);
    }

    /**
     * Binds the unit's meters; Hibernate's statistics only when {@code hibernateStatistics} is true. An integration
     * whose framework already binds Hibernate's meters per EntityManagerFactory (Spring Boot's
     * {@code HibernateMetricsAutoConfiguration}) passes false, so they are bound once.
     */
    public static UnitMetrics bind(MeterRegistry registry, EntityManagerFactory emf, String name,
                                   boolean hibernateStatistics) {
        Redundancy redundancy = Redundancy.of(emf);
        RedundancyMetrics meters = new RedundancyMetrics(redundancy::status, Tags.of(MeterNames.TAG_UNIT, name));
        UnitMetrics unit = new UnitMetrics(redundancy, meters);
        redundancy.addListener(unit.listener);
        meters.bindTo(registry);
        List<DataSource> pools = new ArrayList<>();
        RedundancyRuntime runtime = RuntimeLookup.require(emf);
        pools.add(runtime.dataSource(Node.PRIMARY));
        if (runtime.config().redundancyEnabled()) {
            pools.add(runtime.dataSource(Node.SECONDARY));
        }
        PoolMetrics.bind(registry, pools);
        bindMirror(registry, emf, Tags.of(MeterNames.TAG_UNIT, name));
        if (hibernateStatistics) {
            HibernateStatisticsMetrics.bind(registry, emf, name);
        }
        return unit;
    }

    /** The relay's own figures, when the unit is mirrored (mirror.mode async or sync). */
    private static void bindMirror(MeterRegistry registry, EntityManagerFactory emf, Tags tags) {
        MirrorRuntime mirror = MirrorRuntime.of(emf.unwrap(SessionFactory.class));
        if (mirror == null) {
            return;
        }
        FunctionCounter.builder(MeterNames.MIRROR_APPLIED_TOTAL, mirror, m -> m.stats().appliedTotal())
                .tags(tags).description("Journal entries applied by the relay since start").register(registry);
        Gauge.builder(MeterNames.MIRROR_LAG_P99, mirror, m -> m.stats().lagP99Ms())
                .tags(tags).baseUnit("milliseconds").description("p99 of commit-to-applied time").register(registry);
        Gauge.builder(MeterNames.MIRROR_PENDING_DIRECTION, mirror, m -> Math.max(0, m.stats().pendingToSecondary()))
                .tags(tags).tag(MeterNames.TAG_DIRECTION, "to_secondary").description("Entries waiting").register(registry);
        Gauge.builder(MeterNames.MIRROR_PENDING_DIRECTION, mirror, m -> Math.max(0, m.stats().pendingToPrimary()))
                .tags(tags).tag(MeterNames.TAG_DIRECTION, "to_primary").description("Entries waiting").register(registry);
    }

    /** The plugin's meters, e.g. to report sync runs with {@link RedundancyMetrics#onSync}. */
    public RedundancyMetrics meters() {
        return meters;
    }

    private void onSwitch(SwitchEvent e) {
        if (e.to() == ActiveNode.NONE) {
            return;
        }
        meters.onSwitch(e.to() == ActiveNode.SECONDARY ? Node.SECONDARY : Node.PRIMARY, reason(e));
    }

    /** A short, bounded tag value (the event's free text stays in the logs). */
    static String reason(SwitchEvent e) {
        switch (e.kind()) {
            case MANUAL_FAILOVER:
            case MANUAL_FAILBACK:
                return "manual";
            case RECOVERED:
                return "recovered";
            case FAILOVER:
                return "primary_failed";
            case FAILBACK:
                return e.fromFailed() ? "secondary_failed" : "primary_healthy";
            default:
                return e.kind().name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    @Override
    public void close() {
        redundancy.removeListener(listener);
    }
}
