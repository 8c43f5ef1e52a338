package io.dbredundancy.demo.system;

import io.dbredundancy.demo.Database;
import io.dbredundancy.hibernate.metrics.UnitMetrics;
import io.dbredundancy.hibernate.metrics.RedundancyMetrics;
import io.dbredundancy.demo.orders.OrderService;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.logging.Logger;

/** The app's Prometheus registry: the plugin's meters, HikariCP's, Hibernate's statistics and the app's own. */
@ApplicationScoped
public class Metrics {

    private static final Logger LOG = Logger.getLogger("io.dbredundancy.demo");

    @Inject
    Database database;
    @Inject
    OrderService orders;

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private volatile boolean bound;
    private volatile RedundancyMetrics redundancyMetrics;

    public synchronized void bind() {
        if (bound) {
            return;
        }
        bound = true;
        redundancyMetrics = UnitMetrics.bind(registry, database.emf(), "demo").meters();
        FunctionCounter.builder("demo.orders.committed", orders, OrderService::created)
                .description("Orders committed by this instance").register(registry);
        FunctionCounter.builder("demo.orders.failed", orders, OrderService::failed)
                .description("Order writes that failed").register(registry);
        LOG.info("[Demo] metrics bound: the plugin's, HikariCP's, Hibernate's statistics");
    }

    public RedundancyMetrics redundancyMetrics() {
        return redundancyMetrics;
    }

    public String scrape() {
        return registry.scrape();
    }
}
