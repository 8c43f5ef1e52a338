package io.dbredundancy.hibernate.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import jakarta.persistence.EntityManagerFactory;
import org.hibernate.SessionFactory;
import org.hibernate.stat.Statistics;

import java.lang.reflect.Method;

/**
 * Hibernate's statistics as meters. Uses Hibernate's own binder when {@code hibernate-micrometer} is present:
 * {@code org.hibernate.orm.micrometer.HibernateMetrics} (Hibernate 7.3+) or the older
 * {@code org.hibernate.stat.HibernateMetrics} (7.2), found by reflection so either version works; without it,
 * a few core meters of the same names are bound from {@link Statistics} directly. Statistics must be on
 * ({@code hibernate.generate_statistics=true}) for the values to move.
 */
public final class HibernateStatisticsMetrics {

    static final String[] BINDERS = {
            "org.hibernate.orm.micrometer.HibernateMetrics",
            "org.hibernate.stat.HibernateMetrics"};

    private HibernateStatisticsMetrics() {
    }

    /**
     * Binds the statistics of {@code emf}, tagged {@code entityManagerFactory=<name>}. Returns the binder used:
     * a Hibernate class name, or {@code "fallback"}.
     */
    public static String bind(MeterRegistry registry, EntityManagerFactory emf, String name) {
        SessionFactory sf = emf.unwrap(SessionFactory.class);
        for (String binder : BINDERS) {
            try {
                Class<?> type = Class.forName(binder, true, HibernateStatisticsMetrics.class.getClassLoader());
                Method monitor = type.getMethod("monitor", MeterRegistry.class, SessionFactory.class, String.class,
                        String[].class);
                monitor.invoke(null, registry, sf, name, new String[0]);
                return binder;
            } catch (ReflectiveOperationException | LinkageError e) {
                // try the next one
            }
        }
        bindFallback(registry, sf.getStatistics(), name);
        return "fallback";
    }

    private static void bindFallback(MeterRegistry registry, Statistics stats, String name) {
        Tags tags = Tags.of("entityManagerFactory", name);
        FunctionCounter.builder("hibernate.sessions.open", stats, Statistics::getSessionOpenCount)
                .tags(tags).description("Sessions opened").register(registry);
        FunctionCounter.builder("hibernate.transactions", stats, Statistics::getSuccessfulTransactionCount)
                .tags(tags).tag("result", "success").description("Transactions").register(registry);
        FunctionCounter.builder("hibernate.transactions", stats,
                        s -> s.getTransactionCount() - s.getSuccessfulTransactionCount())
                .tags(tags).tag("result", "failure").description("Transactions").register(registry);
        FunctionCounter.builder("hibernate.statements", stats, Statistics::getPrepareStatementCount)
                .tags(tags).tag("status", "prepared").description("Statements prepared").register(registry);
        FunctionCounter.builder("hibernate.flushes", stats, Statistics::getFlushCount)
                .tags(tags).description("Flushes").register(registry);
        FunctionCounter.builder("hibernate.entities.inserts", stats, Statistics::getEntityInsertCount)
                .tags(tags).description("Entity inserts").register(registry);
        FunctionCounter.builder("hibernate.entities.updates", stats, Statistics::getEntityUpdateCount)
                .tags(tags).description("Entity updates").register(registry);
        FunctionCounter.builder("hibernate.entities.deletes", stats, Statistics::getEntityDeleteCount)
                .tags(tags).description("Entity deletes").register(registry);
        FunctionCounter.builder("hibernate.query.executions", stats, Statistics::getQueryExecutionCount)
                .tags(tags).description("Queries executed").register(registry);
        Gauge.builder("hibernate.query.executions.max", stats, Statistics::getQueryExecutionMaxTime)
                .tags(tags).baseUnit("milliseconds").description("Slowest query").register(registry);
    }
}
