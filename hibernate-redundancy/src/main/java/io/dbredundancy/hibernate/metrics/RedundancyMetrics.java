package io.dbredundancy.hibernate.metrics;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.RedundancyStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Micrometer meters of one persistence unit's redundancy (names in {@link MeterNames}).
 *
 * <p>Gauges read the unit's status snapshot (taken at most every 100 ms, however many gauges a scrape reads).
 * Counters and timers are fed by the events the plugin reports ({@link #onSwitch}, {@link #onProbe},
 * {@link #onSync}); what the snapshot shows changed since the last look (a probe, a switch) is counted too, so
 * a unit that reports no events still gets its counters. A binder never throws into the application: a failing
 * snapshot leaves the last values in place.
 */
public final class RedundancyMetrics implements MeterBinder {

    private static final long SNAPSHOT_TTL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final Supplier<RedundancyStatus> statusSource;
    private final Tags tags;
    private final List<MeterRegistry> registries = new ArrayList<>();

    private volatile RedundancyStatus last;
    private volatile long lastReadNanos;
    private final Map<Node, Instant> lastSeenCheck = new EnumMap<>(Node.class);
    private String lastSeenActive;
    private long lastSeenFailovers = -1;
    private volatile boolean switchEventsReported;
    private volatile boolean probeEventsReported;

    /**
     * @param statusSource usually {@code Redundancy.of(emf)::status}
     * @param tags         extra tags put on every meter, e.g. {@code unit=orders}
     */
    public RedundancyMetrics(Supplier<RedundancyStatus> statusSource, Iterable<Tag> tags) {
        this.statusSource = Objects.requireNonNull(statusSource, "statusSource");
        this.tags = Tags.of(tags);
    }

    public RedundancyMetrics(Supplier<RedundancyStatus> statusSource) {
        this(statusSource, Tags.empty());
    }

    @Override
    public synchronized void bindTo(MeterRegistry registry) {
        registries.add(registry);
        Gauge.builder(MeterNames.ACTIVE_NODE, this, m -> activeCode(m.snapshot()))
                .tags(tags).description("Node serving new sessions: 1 primary, 2 secondary, 0 none")
                .register(registry);
        Gauge.builder(MeterNames.EPOCH, this, m -> valueOr(m.snapshot(), s -> (double) s.epoch()))
                .tags(tags).description("Fencing epoch; grows by one on every switch").register(registry);
        for (Node node : Node.values()) {
            Tags nodeTags = tags.and(MeterNames.TAG_NODE, node.id());
            Gauge.builder(MeterNames.NODE_ACTIVE, this,
                            m -> valueOr(m.snapshot(), s -> node.id().equals(s.activeDatabase()) ? 1.0 : 0.0))
                    .tags(nodeTags).description("1 when this node serves new sessions").register(registry);
            Gauge.builder(MeterNames.NODE_UP, this, m -> nodeValue(m.snapshot(), node, n -> n.connected() ? 1.0 : 0.0))
                    .tags(nodeTags).description("1 when the last probe of this node succeeded").register(registry);
            Gauge.builder(MeterNames.NODE_CONSECUTIVE_FAILURES, this,
                            m -> nodeValue(m.snapshot(), node, n -> (double) n.consecutiveFailures()))
                    .tags(nodeTags).description("Consecutive failed probes").register(registry);
            probeTimer(registry, node);
            for (String result : new String[] {"success", "failure"}) {
                healthCounter(registry, node, result);
            }
        }
        Gauge.builder(MeterNames.MIRROR_PENDING, this, m -> valueOr(m.snapshot(), s -> (double) s.mirror().pending()))
                .tags(tags).description("Journal entries not yet applied on the other database").register(registry);
        Gauge.builder(MeterNames.MIRROR_LAG, this, m -> valueOr(m.snapshot(), s -> (double) s.mirror().lagMs()))
                .tags(tags).baseUnit("milliseconds").description("Age of the oldest unapplied commit")
                .register(registry);
        Gauge.builder(MeterNames.MIRROR_APPLIED, this, m -> valueOr(m.snapshot(), s -> s.mirror().appliedPerSecond()))
                .tags(tags).description("Journal entries applied per second")
                .register(registry);
        Gauge.builder(MeterNames.MIRROR_CONFLICTS, this, m -> valueOr(m.snapshot(), s -> (double) s.mirror().conflicts()))
                .tags(tags).description("Rows changed on both sides; the losing image is kept").register(registry);
        Gauge.builder(MeterNames.MIRROR_PARKED, this, m -> valueOr(m.snapshot(), s -> (double) s.mirror().parked()))
                .tags(tags).description("Journal entries set aside after failing to apply").register(registry);
        RedundancyStatus now = snapshot();
        if (now != null && "native".equals(now.mirror().mode())) {
            for (Node to : Node.values()) {
                replicationGauges(registry, to);
            }
        }
        // counters exist from the start (at 0) so dashboards and alerts see them before the first switch
        switchCounter(registry, MeterNames.FAILOVERS, "none");
        switchCounter(registry, MeterNames.FAILBACKS, "none");
        syncRows(registry, "incremental");
        snapshot();
    }

    /** {@code mirror.mode=native}: the direction into {@code to}, from its subscription's figures in the status. */
    private void replicationGauges(MeterRegistry registry, Node to) {
        Tags t = tags.and(MeterNames.TAG_DIRECTION, "to_" + to.id());
        Gauge.builder(MeterNames.REPLICATION_LAG_BYTES, this, m -> direction(m.snapshot(), to, d -> (double) d.lagBytes()))
                .tags(t).baseUnit("bytes").description("WAL the subscription has not confirmed").register(registry);
        Gauge.builder(MeterNames.REPLICATION_LAG, this, m -> direction(m.snapshot(), to, d -> (double) d.lagMs()))
                .tags(t).baseUnit("milliseconds").description("Replay lag of the subscription").register(registry);
        Gauge.builder(MeterNames.REPLICATION_ERRORS, this, m -> direction(m.snapshot(), to, d -> (double) d.errors()))
                .tags(t).description("Apply and copy errors of the subscription").register(registry);
        Gauge.builder(MeterNames.REPLICATION_STREAMING, this,
                        m -> direction(m.snapshot(), to, d -> "streaming".equals(d.state()) ? 1.0 : 0.0))
                .tags(t).description("1 while the subscription streams").register(registry);
    }

    private static double direction(RedundancyStatus s, Node to,
                                    java.util.function.ToDoubleFunction<RedundancyStatus.Replication> value) {
        if (s == null) {
            return Double.NaN;
        }
        for (RedundancyStatus.Replication d : s.mirror().replication()) {
            if (d.to().equals(to.id())) {
                double v = value.applyAsDouble(d);
                return v < 0 ? Double.NaN : v;
            }
        }
        return Double.NaN;
    }

    /** Reports a switch: {@code failover} (to the secondary) or {@code failback} (to the primary). */
    public void onSwitch(Node to, String reason) {
        switchEventsReported = true;
        String name = to == Node.SECONDARY ? MeterNames.FAILOVERS : MeterNames.FAILBACKS;
        forEachRegistry(r -> switchCounter(r, name, reason == null ? "unknown" : reason).increment());
    }

    /** Reports one health probe of {@code node}. */
    public void onProbe(Node node, boolean success, Duration latency) {
        probeEventsReported = true;
        recordProbe(node, success, latency);
    }

    /** Reports a finished sync or verify run: {@code kind} e.g. full, incremental, verify, repair. */
    public void onSync(String kind, boolean success, long rows, Duration duration) {
        forEachRegistry(r -> {
            if (rows > 0) {
                syncRows(r, kind).increment(rows);
            }
            Timer.builder(MeterNames.SYNC_DURATION).tags(tags).tag(MeterNames.TAG_KIND, kind)
                    .tag(MeterNames.TAG_RESULT, success ? "success" : "failure")
                    .description("Duration of sync and verify runs").register(r).record(duration);
        });
    }

    /** The latest snapshot (at most 100 ms old); null only when none could ever be taken. */
    RedundancyStatus snapshot() {
        long now = System.nanoTime();
        RedundancyStatus s = last;
        if (s != null && now - lastReadNanos < SNAPSHOT_TTL_NANOS) {
            return s;
        }
        try {
            s = statusSource.get();
        } catch (RuntimeException e) {
            return last;
        }
        lastReadNanos = now;
        last = s;
        observe(s);
        return s;
    }

    /** Counts what changed since the last snapshot, for units that report no events. */
    private synchronized void observe(RedundancyStatus s) {
        if (s == null) {
            return;
        }
        if (!probeEventsReported) {
            observeProbe(Node.PRIMARY, s.primary());
            if (s.secondary() != null) {
                observeProbe(Node.SECONDARY, s.secondary());
            }
        }
        if (!switchEventsReported) {
            if (lastSeenActive != null && !lastSeenActive.equals(s.activeDatabase())
                    && !"none".equals(s.activeDatabase())) {
                Node to = Node.fromId(s.activeDatabase());
                String name = to == Node.SECONDARY ? MeterNames.FAILOVERS : MeterNames.FAILBACKS;
                forEachRegistry(r -> switchCounter(r, name, "observed").increment());
            } else if (lastSeenFailovers >= 0 && s.failoverCount() > lastSeenFailovers
                    && "secondary".equals(s.activeDatabase()) && "secondary".equals(lastSeenActive)) {
                forEachRegistry(r -> switchCounter(r, MeterNames.FAILOVERS, "observed").increment());
            }
        }
        lastSeenActive = s.activeDatabase();
        lastSeenFailovers = s.failoverCount();
    }

    private void observeProbe(Node node, RedundancyStatus.NodeStatus n) {
        if (n == null || n.lastCheck() == null || n.lastCheck().equals(lastSeenCheck.get(node))) {
            return;
        }
        lastSeenCheck.put(node, n.lastCheck());
        recordProbe(node, n.connected(), Duration.ofNanos((long) (n.latencyMs() * 1_000_000)));
    }

    private void recordProbe(Node node, boolean success, Duration latency) {
        forEachRegistry(r -> {
            healthCounter(r, node, success ? "success" : "failure").increment();
            if (success && latency != null) {
                probeTimer(r, node).record(latency);
            }
        });
    }

    private Counter switchCounter(MeterRegistry r, String name, String reason) {
        return Counter.builder(name).tags(tags).tag(MeterNames.TAG_REASON, reason)
                .description(name.equals(MeterNames.FAILOVERS) ? "Switches to the secondary" : "Switches back to the primary")
                .register(r);
    }

    private Counter healthCounter(MeterRegistry r, Node node, String result) {
        return Counter.builder(MeterNames.HEALTH_CHECKS).tags(tags).tag(MeterNames.TAG_NODE, node.id())
                .tag(MeterNames.TAG_RESULT, result).description("Health probes by node and result").register(r);
    }

    private Timer probeTimer(MeterRegistry r, Node node) {
        return Timer.builder(MeterNames.PROBE_LATENCY).tags(tags).tag(MeterNames.TAG_NODE, node.id())
                .description("Latency of successful health probes").register(r);
    }

    private Counter syncRows(MeterRegistry r, String kind) {
        return Counter.builder(MeterNames.SYNC_ROWS).tags(tags).tag(MeterNames.TAG_KIND, kind)
                .description("Rows copied or repaired by sync runs").register(r);
    }

    private synchronized void forEachRegistry(java.util.function.Consumer<MeterRegistry> action) {
        for (MeterRegistry r : registries) {
            try {
                action.accept(r);
            } catch (RuntimeException ignored) {
                // a binder never throws into the application
            }
        }
    }

    static double activeCode(RedundancyStatus s) {
        if (s == null) {
            return Double.NaN;
        }
        switch (s.activeDatabase()) {
            case "primary": return 1;
            case "secondary": return 2;
            default: return 0;
        }
    }

    private static double valueOr(RedundancyStatus s, java.util.function.ToDoubleFunction<RedundancyStatus> f) {
        return s == null ? Double.NaN : f.applyAsDouble(s);
    }

    private static double nodeValue(RedundancyStatus s, Node node,
                                    java.util.function.ToDoubleFunction<RedundancyStatus.NodeStatus> f) {
        if (s == null) {
            return Double.NaN;
        }
        RedundancyStatus.NodeStatus n = node == Node.PRIMARY ? s.primary() : s.secondary();
        return n == null ? Double.NaN : f.applyAsDouble(n);
    }
}
