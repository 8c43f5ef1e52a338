package io.dbredundancy.hibernate.spring;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.metrics.MeterNames;
import io.dbredundancy.hibernate.metrics.PoolMetrics;
import io.dbredundancy.hibernate.metrics.RedundancyMetrics;
import io.dbredundancy.hibernate.metrics.UnitMetrics;
import io.dbredundancy.hibernate.routing.RedundancyRuntime;
import io.dbredundancy.hibernate.routing.RedundantConnectionProvider;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import jakarta.persistence.EntityManagerFactory;
import org.springframework.beans.factory.ObjectProvider;

import java.util.ArrayList;
import java.util.List;

/**
 * The plugin's meters, bound once per registry by Boot: {@code db.redundancy.*}, HikariCP's meters on both node
 * pools and the relay's figures ({@link UnitMetrics}), tagged {@code unit=default}. Hibernate's statistics are left
 * to Boot's own {@code HibernateMetricsAutoConfiguration} (when hibernate-micrometer is present), so they are not
 * bound twice.
 */
public final class RedundancyMeterBinder implements MeterBinder {

    private final RedundantConnectionProvider provider;
    private final ObjectProvider<EntityManagerFactory> emf;

    public RedundancyMeterBinder(RedundantConnectionProvider provider, ObjectProvider<EntityManagerFactory> emf) {
        this.provider = provider;
        this.emf = emf;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        EntityManagerFactory unit = emf.getIfUnique();
        if (unit != null) {
            UnitMetrics.bind(registry, unit, SpringRedundantConnectionProvider.UNIT, false);
            return;
        }
        // no EntityManagerFactory (JDBC only): the health meters and the pools
        RedundancyRuntime rt = (provider.isUnwrappableAs(io.dbredundancy.hibernate.routing.RedundancyRuntime.class) ? provider.unwrap(io.dbredundancy.hibernate.routing.RedundancyRuntime.class) : null);
        new RedundancyMetrics(rt::status, Tags.of(MeterNames.TAG_UNIT, SpringRedundantConnectionProvider.UNIT)).bindTo(registry);
        List<javax.sql.DataSource> pools = new ArrayList<>();
        pools.add(rt.dataSource(Node.PRIMARY));
        if (rt.config().redundancyEnabled()) {
            pools.add(rt.dataSource(Node.SECONDARY));
        }
        PoolMetrics.bind(registry, pools);
    }
}
