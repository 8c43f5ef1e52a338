package io.dbredundancy.hibernate.mirror;

import org.hibernate.boot.spi.MetadataImplementor;
import org.hibernate.boot.spi.SessionFactoryBuilderFactory;
import org.hibernate.boot.spi.SessionFactoryBuilderImplementor;
import org.hibernate.event.service.spi.EventListenerGroup;
import org.hibernate.event.service.spi.EventListenerRegistry;
import org.hibernate.event.spi.AutoFlushEventListener;
import org.hibernate.event.spi.EventType;
import org.hibernate.event.spi.FlushEventListener;
import org.hibernate.resource.jdbc.spi.StatementInspector;

import java.util.ArrayList;
import java.util.List;

/**
 * Installs {@link BulkStatementInspector} on every SessionFactory being built (it stays inert unless the mirror binds
 * it), keeping the application's own statement inspector behind it. Listed in
 * {@code META-INF/services/org.hibernate.boot.spi.SessionFactoryBuilderFactory}.
 */
public final class BulkDetection implements SessionFactoryBuilderFactory {

    @Override
    public SessionFactoryBuilderImplementor getSessionFactoryBuilder(MetadataImplementor metadata,
                                                                     SessionFactoryBuilderImplementor defaultBuilder) {
        StatementInspector existing = defaultBuilder.buildSessionFactoryOptions().getStatementInspector();
        if (!(existing instanceof BulkStatementInspector)) {
            defaultBuilder.applyStatementInspector(new BulkStatementInspector(existing));
        }
        return defaultBuilder;
    }

    /**
     * Wraps the flush and auto-flush listeners registered so far in one that marks the thread as flushing while they
     * run ({@link BulkStatementInspector#FLUSHING}), in a finally block: a flush that throws does not leave the thread
     * marked, so a later bulk statement on it is still recognised.
     */
    static void install(EventListenerRegistry registry) {
        EventListenerGroup<FlushEventListener> flush = registry.getEventListenerGroup(EventType.FLUSH);
        List<FlushEventListener> flushes = new ArrayList<>();
        flush.listeners().forEach(flushes::add);
        flush.clearListeners();
        flush.appendListener(event -> flushing(() -> flushes.forEach(l -> l.onFlush(event))));
        EventListenerGroup<AutoFlushEventListener> auto = registry.getEventListenerGroup(EventType.AUTO_FLUSH);
        List<AutoFlushEventListener> autos = new ArrayList<>();
        auto.listeners().forEach(autos::add);
        auto.clearListeners();
        auto.appendListener(new AutoFlushes(autos));
    }

    /**
     * The wrapped auto-flush listeners. Hibernate 6.6 also calls {@code onAutoPreFlush(EventSource)} (a default
     * method that 7.x no longer has) before a query: it is passed on to the wrapped listeners, found by name, so the
     * class links on both lines.
     */
    private static final class AutoFlushes implements AutoFlushEventListener {
        private static final java.lang.invoke.MethodHandle PRE_FLUSH = preFlush();
        private final List<AutoFlushEventListener> delegates;

        AutoFlushes(List<AutoFlushEventListener> delegates) {
            this.delegates = delegates;
        }

        @Override
        public void onAutoFlush(org.hibernate.event.spi.AutoFlushEvent event) {
            flushing(() -> delegates.forEach(l -> l.onAutoFlush(event)));
        }

        /** Hibernate 6.6's {@code AutoFlushEventListener.onAutoPreFlush} (not in 7.x, so no {@code @Override}). */
        public void onAutoPreFlush(org.hibernate.event.spi.EventSource source) {
            if (PRE_FLUSH == null) {
                return;
            }
            flushing(() -> {
                for (AutoFlushEventListener l : delegates) {
                    try {
                        PRE_FLUSH.invoke(l, source);
                    } catch (RuntimeException | Error e) {
                        throw e;
                    } catch (Throwable e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
        }

        private static java.lang.invoke.MethodHandle preFlush() {
            try {
                return java.lang.invoke.MethodHandles.publicLookup().findVirtual(AutoFlushEventListener.class,
                        "onAutoPreFlush", java.lang.invoke.MethodType.methodType(void.class,
                                org.hibernate.event.spi.EventSource.class));
            } catch (NoSuchMethodException | IllegalAccessException e) {
                return null; // Hibernate 7.x
            }
        }
    }

    private static void flushing(Runnable flush) {
        boolean[] flag = BulkStatementInspector.FLUSHING.get();
        boolean outer = flag[0];
        flag[0] = true;
        try {
            flush.run();
        } finally {
            flag[0] = outer;
        }
    }
}
