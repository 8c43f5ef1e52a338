package io.dbredundancy.hibernate.metrics;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.micrometer.core.instrument.MeterRegistry;

import javax.sql.DataSource;
import java.sql.SQLException;

/** HikariCP's own Micrometer meters ({@code hikaricp.connections.*}) on the plugin's pools. */
public final class PoolMetrics {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.metrics");

    private PoolMetrics() {
    }

    /**
     * Puts HikariCP's Micrometer tracker on every pool in {@code dataSources} that is a HikariCP pool without one
     * (a pool accepts one tracker, even after start). Returns how many were bound. Container DataSources are
     * skipped: the server reports its own pools.
     */
    public static int bind(MeterRegistry registry, Iterable<? extends DataSource> dataSources) {
        int bound = 0;
        for (DataSource ds : dataSources) {
            HikariDataSource hikari = unwrap(ds);
            if (hikari == null || hikari.getMetricsTrackerFactory() != null || hikari.getMetricRegistry() != null) {
                continue;
            }
            try {
                hikari.setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(registry));
                bound++;
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] pool " + hikari.getPoolName()
                        + " keeps its metrics tracker: " + e.getMessage());
            }
        }
        return bound;
    }

    private static HikariDataSource unwrap(DataSource ds) {
        if (ds instanceof HikariDataSource h) {
            return h;
        }
        try {
            return ds != null && ds.isWrapperFor(HikariDataSource.class) ? ds.unwrap(HikariDataSource.class) : null;
        } catch (SQLException | RuntimeException e) {
            return null;
        }
    }
}
