package io.dbredundancy.hibernate.spring;

import io.dbredundancy.hibernate.routing.RedundantConnectionProvider;

import java.util.Map;

/**
 * The library's provider as a Spring bean: configured and started by Spring when the bean is created (before the
 * DataSource, the migrations and the EntityManagerFactory that need it), stopped by Spring when the context closes.
 * Hibernate receives the started instance: its own {@code configure}/{@code start}/{@code stop} calls are no-ops, so
 * closing the EntityManagerFactory does not close the pools the routing DataSource still hands out.
 */
public class SpringRedundantConnectionProvider extends RedundantConnectionProvider {

    private static final long serialVersionUID = 1L;

    /** Unit name of the Boot application's persistence unit (threads, pools and meters carry it). */
    public static final String UNIT = "default";

    /** @param settings the {@code hibernate.redundancy.*} settings (the unit is named {@value #UNIT}) */
    public SpringRedundantConnectionProvider(Map<String, Object> settings) {
        Map<String, Object> named = new java.util.LinkedHashMap<>(settings);
        named.putIfAbsent("hibernate.persistenceUnitName", UNIT);
        super.configure(named);
        super.start();
    }

    @Override
    public void configure(Map<String, Object> settings) {
        // configured by Spring from hibernate.redundancy.* properties
    }

    @Override
    public void start() {
        // started by Spring
    }

    @Override
    public void stop() {
        // stopped by Spring (close), after every bean that uses it
    }

    /** Stops the unit: health thread, relay, pools. Called by Spring when the context closes. */
    public void close() {
        super.stop();
    }
}
