package io.dbredundancy.demo.system;

import io.dbredundancy.demo.Database;
import io.dbredundancy.demo.orders.OrderService;
import io.dbredundancy.hibernate.RedundancyStatus;
import io.dbredundancy.hibernate.SwitchEvent;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What the dashboard draws: one sample a second of the status (serving node, both nodes' health and probe
 * latency, mirror pending and lag, orders committed that second), the last ten minutes of them, and the
 * history of switches and admin actions.
 */
@ApplicationScoped
public class Timeline {

    static final int MAX_SAMPLES = 600;
    static final int MAX_EVENTS = 200;

    @Inject
    Database database;
    @Inject
    OrderService orders;

    private final Deque<Map<String, Object>> samples = new ArrayDeque<>();
    private final Deque<Map<String, Object>> events = new ArrayDeque<>();
    private ScheduledExecutorService scheduler;
    private long lastOrders;

    public synchronized void start() {
        if (scheduler != null) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "demo-timeline");
            t.setDaemon(true);
            return t;
        });
        lastOrders = orders.created();
        scheduler.scheduleAtFixedRate(this::sample, 0, 1, TimeUnit.SECONDS);
    }

    void sample() {
        try {
            RedundancyStatus s = database.redundancy().status();
            long created = orders.created();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("t", System.currentTimeMillis());
            m.put("active", s.activeDatabase());
            m.put("primary", node(s.primary()));
            m.put("secondary", s.secondary() == null ? null : node(s.secondary()));
            m.put("pending", s.mirror().pending());
            m.put("lagMs", s.mirror().lagMs());
            m.put("orders", created - lastOrders);
            m.put("orderErrors", orders.failed());
            lastOrders = created;
            synchronized (this) {
                samples.addLast(m);
                while (samples.size() > MAX_SAMPLES) {
                    samples.removeFirst();
                }
            }
        } catch (RuntimeException e) {
            Database.class.getName(); // keep sampling; the next second may succeed
        }
    }

    /** Every switch of the serving database, as the plugin reports it (with its reason), forwarded by {@link SwitchEvents}. */
    void onSwitch(@Observes SwitchEvent e) {
        String type = switch (e.to()) {
            case SECONDARY -> "failover";
            case PRIMARY -> "failback";
            case NONE -> "down";
        };
        event(type, e.from().toString().toLowerCase(java.util.Locale.ROOT) + " -> "
                + e.to().toString().toLowerCase(java.util.Locale.ROOT) + ": " + e.reason());
    }

    private static Map<String, Object> node(RedundancyStatus.NodeStatus n) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("up", n.connected());
        m.put("latencyMs", n.latencyMs());
        m.put("failures", n.consecutiveFailures());
        return m;
    }

    /** Records an event for the history (switches are detected by the sampler; admin actions are recorded here). */
    public synchronized void event(String type, String detail) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("time", Instant.now());
        e.put("type", type);
        e.put("detail", detail);
        events.addLast(e);
        while (events.size() > MAX_EVENTS) {
            events.removeFirst();
        }
    }

    /** Samples newer than {@code sinceMillis} (all when 0) and every event, as JSON. */
    public synchronized String toJson(long sinceMillis) {
        List<Map<String, Object>> newer = new ArrayList<>();
        for (Map<String, Object> m : samples) {
            if ((long) m.get("t") > sinceMillis) {
                newer.add(m);
            }
        }
        return JsonText.object()
                .put("now", System.currentTimeMillis())
                .put("ordersTotal", orders.created())
                .put("samples", newer)
                .put("events", new ArrayList<>(events))
                .toString();
    }

    @PreDestroy
    public synchronized void stop() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null;
        }
    }
}
