package io.dbredundancy.demo.system;

import io.dbredundancy.demo.Database;
import io.dbredundancy.hibernate.SwitchEvent;
import io.dbredundancy.hibernate.SwitchListener;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Forwards the plugin's switch events ({@code Redundancy.of(emf).addListener(…)}) as CDI events, so any bean can
 * {@code @Observes SwitchEvent} to alert or warm caches. Observers run in order, one event at a time, on a thread of
 * this bean ({@code demo-switch-events}), never on the plugin's health thread.
 */
@ApplicationScoped
public class SwitchEvents {

    private static final Logger LOG = Logger.getLogger("io.dbredundancy.demo");

    @Inject
    Database database;
    @Inject
    Event<SwitchEvent> events;

    private ExecutorService thread;
    private SwitchListener listener;

    public synchronized void start() {
        if (thread != null) {
            return;
        }
        thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "demo-switch-events");
            t.setDaemon(true);
            return t;
        });
        ExecutorService out = thread;
        listener = e -> out.execute(() -> {
            try {
                events.fire(e);
            } catch (RuntimeException ex) {
                LOG.warning("[Demo] a switch event observer failed: " + ex);
            }
        });
        database.redundancy().addListener(listener);
    }

    @PreDestroy
    synchronized void stop() {
        if (thread == null) {
            return;
        }
        try {
            database.redundancy().removeListener(listener);
        } catch (RuntimeException ignored) {
            // the unit is already closed
        }
        thread.shutdown();
        try {
            thread.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread = null;
    }
}
