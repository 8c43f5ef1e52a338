package io.dbredundancy.hibernate.health;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.SwitchEvent;
import io.dbredundancy.hibernate.SwitchKind;
import io.dbredundancy.hibernate.SwitchListener;
import io.dbredundancy.hibernate.health.NodeSchedule.Probe;
import io.dbredundancy.hibernate.lease.Lease;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The health state machine of one unit. It probes each node through a {@link Prober} (connections outside the
 * pools), takes passive signals from the application's traffic ({@link #reportFailure}), and switches the active
 * node: failover after {@code failure_threshold} consecutive failures of the active node when the other is healthy
 * (after one refused connection: nothing listens at its address),
 * failback after {@code failback_threshold} consecutive good probes of the primary ({@code failback=auto}), both
 * down when nothing is healthy, recovery as soon as a node answers again (primary preferred).
 *
 * <p>One job per class: this one launches the probes when each node's {@link NodeSchedule} says so (every
 * {@code interval_ms} while healthy; every {@code fastPeriodMs}, overlapping, once a node is suspect: a passive
 * signal, a failed probe, a probe slower than {@link HealthPolicy#slowProbeMs()}; a down node gets a few quick
 * retries, then one every {@code primary_retry_interval_ms} with jitter) and applies decisions; {@link SwitchRules}
 * holds the switch rules as pure functions (state + {@link Observations} in, a {@link Decision} out);
 * {@link LeaseBook} keeps what this instance read of the leases. The whole state is one immutable
 * {@link HealthState} in an {@link AtomicReference}, replaced by compare-and-set; the monitor swaps first, then logs
 * and publishes (as resilience4j's circuit breaker does), so nothing inside the compare-and-set loop has an effect.
 * All changes run on the unit's {@link HealthScheduler} thread, so there is a single writer.
 */
public final class HealthMonitor implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.health");
    /** A health-thread tick later than this means the host or JVM stalled. */
    private static final long STALL_MS = 100;

    private final String unit;
    private final HealthPolicy policy;
    private final Clock clock;
    private final HealthScheduler scheduler;
    private final Executor probeExecutor;
    private final Prober prober;
    private final AtomicReference<HealthState> state;
    private final List<SwitchListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<Node, NodeSchedule> schedules = new EnumMap<>(Node.class);
    private final Map<Node, AtomicLong> signals = new EnumMap<>(Node.class);
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private final Random random = new Random();
    private volatile Supplier<String> failbackGate = () -> null;
    private volatile boolean closed;
    private HealthScheduler.Task nextTick;
    private long nextTickAt = Long.MAX_VALUE;
    private final LeaseBook leases = new LeaseBook();
    // the last wait logged, so a wait is logged once (scheduler thread only)
    private String lastGateHold;
    private String lastLeaseHold;

    /** A probe handed to the probe executor; names its node. */
    record ProbeTask(Node node, Runnable markStarted, Runnable body) implements Runnable {
        @Override
        public void run() {
            markStarted.run();
            body.run();
        }
    }

    public HealthMonitor(String unit, HealthPolicy policy, HealthState initial, Prober prober, Clock clock,
                         HealthScheduler scheduler, Executor probeExecutor) {
        this.unit = unit;
        this.policy = policy;
        this.clock = clock;
        this.scheduler = scheduler;
        this.probeExecutor = probeExecutor;
        this.prober = prober;
        this.state = new AtomicReference<>(initial);
        for (Node n : nodes(initial)) {
            schedules.put(n, new NodeSchedule(policy));
            signals.put(n, new AtomicLong());
        }
    }

    private static List<Node> nodes(HealthState s) {
        return s.secondary() == null ? List.of(Node.PRIMARY) : List.of(Node.PRIMARY, Node.SECONDARY);
    }

    /** Starts probing. */
    public void start() {
        scheduler.execute(() -> {
            long now = clock.millis();
            for (Map.Entry<Node, NodeSchedule> e : schedules.entrySet()) {
                e.getValue().lastLaunchAt = now;
            }
            tick();
        });
    }

    /** The current state; cheap (one volatile read). */
    public HealthState state() {
        return state.get();
    }

    public HealthPolicy policy() {
        return policy;
    }

    public Clock clock() {
        return clock;
    }

    public void addListener(SwitchListener l) {
        listeners.add(l);
    }

    public void removeListener(SwitchListener l) {
        listeners.remove(l);
    }

    /**
     * SPI: a check consulted before every failback to the primary; it returns null to let it happen, or the reason
     * to wait (say, journal entries written on the secondary not yet applied to the primary).
     */
    public void setFailbackGate(Supplier<String> gate) {
        this.failbackGate = gate == null ? () -> null : gate;
    }

    /** The scheduler the monitor runs on (SPI: short tasks only). */
    public HealthScheduler scheduler() {
        return scheduler;
    }

    // ---------------------------------------------------------------- passive signals

    /**
     * A passive signal from the application's traffic. When {@code cause} says the node is unreachable (SQLState
     * class 08, 57P01-57P03, a pool time-out, a socket error) the node becomes suspect: it is probed at once and then
     * fast. The signal itself does not count as a failure: the probes decide, so a pool exhausted by slow queries
     * does not trigger a failover.
     *
     * @return true when the error counted as a signal
     */
    public boolean reportFailure(Node node, Throwable cause) {
        AtomicLong s = signals.get(node);
        if (s == null || closed || !FailureSignals.isConnectivityFailure(cause)) {
            return false;
        }
        s.incrementAndGet();
        wake();
        return true;
    }

    /**
     * What an instance read from {@code node}'s lease row ({@code supported} false when that database has no lease
     * table; {@code lease} null when it has no row yet). A lease of a later epoch than this instance's is followed at
     * once: the instance switches to the node it names (or serves from none when it cannot reach that node). Runs on
     * the scheduler thread.
     */
    public void observeLease(Node node, boolean supported, Lease lease) {
        if (closed || !schedules.containsKey(node)) {
            return;
        }
        long readAt = clock.millis();
        scheduler.execute(() -> {
            leases.read(node, supported, lease, readAt);
            reevaluate();
        });
    }

    /** The highest lease read from any database, or null. */
    public Lease knownLease() {
        return leases.known();
    }

    private void wake() {
        if (wakePending.compareAndSet(false, true)) {
            scheduler.execute(() -> {
                wakePending.set(false);
                tick();
            });
        }
    }

    // ---------------------------------------------------------------- probing (scheduler thread)

    private void tick() {
        if (closed) {
            return;
        }
        long now = clock.millis();
        // this thread ran late: the host or the JVM stalled, and probe time-outs measured across the stall say
        // nothing about the database
        boolean stalled = nextTickAt != Long.MAX_VALUE && now - nextTickAt > STALL_MS;
        for (Map.Entry<Node, NodeSchedule> e : schedules.entrySet()) {
            Node n = e.getKey();
            NodeSchedule s = e.getValue();
            for (Probe p : List.copyOf(s.inFlight)) {
                s.graceForStalls(p, now, stalled);
                if (!p.done && now >= p.deadline) {
                    p.done = true;
                    s.inFlight.remove(p);
                    record(n, ProbeResult.timedOut(policy.timeoutMs()));
                }
            }
            for (Probe p : s.inFlight) {
                if (now - p.startedAt >= policy.slowProbeMs() && s.suspectUntil < now + policy.fastPeriodMs()) {
                    suspect(s, now, n, "health check slower than " + policy.slowProbeMs() + " ms");
                }
            }
            long sig = signals.get(n).get();
            if (sig != s.signalsSeen) {
                s.signalsSeen = sig;
                boolean wasSuspect = s.suspect(now);
                suspect(s, now, wasSuspect ? null : n, "connection error in application traffic");
                if (!wasSuspect) {
                    s.probeNow = true;
                }
            }
            NodeHealth h = state.get().health(n);
            if (now >= s.dueAt(h, now) && s.canLaunch(h, now)) {
                launch(n, s, h, now);
            }
        }
        scheduleNext(now);
    }

    private void suspect(NodeSchedule s, long now, Node logFor, String why) {
        if (s.becomeSuspect(now) && logFor != null && state.get().health(logFor).up()) {
            LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] " + logFor + " suspect (" + why + "): fast health checks");
        }
    }

    private void launch(Node n, NodeSchedule s, NodeHealth h, long now) {
        Probe p = s.launch(h, now, random.nextDouble());
        try {
            probeExecutor.execute(new ProbeTask(n, () -> p.runningSince = clock.millis(), () -> {
                ProbeResult r;
                try {
                    r = prober.probe(n, policy.timeoutMs());
                } catch (Throwable t) {
                    r = ProbeResult.failed(0, String.valueOf(t), null, ProbeResult.Failure.OTHER);
                }
                ProbeResult result = r;
                scheduler.execute(() -> complete(n, p, result));
            }));
        } catch (RejectedExecutionException busy) {
            s.inFlight.remove(p);
        }
    }

    private void complete(Node n, Probe p, ProbeResult r) {
        if (closed || p.done) {
            return;
        }
        p.done = true;
        NodeSchedule s = schedules.get(n);
        s.inFlight.remove(p);
        record(n, r.ok() && r.latencyMs() > policy.timeoutMs() ? ProbeResult.timedOut(policy.timeoutMs()) : r);
        tick();
    }

    private void scheduleNext(long now) {
        long next = Long.MAX_VALUE;
        for (Map.Entry<Node, NodeSchedule> e : schedules.entrySet()) {
            NodeSchedule s = e.getValue();
            NodeHealth h = state.get().health(e.getKey());
            if (s.canLaunch(h, now)) {
                next = Math.min(next, s.dueAt(h, now));
            }
            for (Probe p : s.inFlight) {
                next = Math.min(next, p.deadline);
                if (now - p.startedAt < policy.slowProbeMs()) {
                    next = Math.min(next, p.startedAt + policy.slowProbeMs());
                }
            }
            if (s.suspectUntil > now) {
                next = Math.min(next, s.suspectUntil);
            }
        }
        if (next == Long.MAX_VALUE) {
            next = now + policy.intervalMs();
        }
        next = Math.max(next, now);
        if (nextTick != null && nextTickAt <= next && nextTickAt > now) {
            return; // an earlier tick is already scheduled; it reschedules
        }
        if (nextTick != null) {
            nextTick.cancel();
        }
        nextTickAt = next;
        nextTick = scheduler.schedule(this::tick, next - now);
    }

    // ---------------------------------------------------------------- the state machine

    /**
     * Records one probe result and switches when the {@link SwitchRules} say so: decides, swaps the new state in, and
     * only then logs and publishes. Runs on the scheduler thread (package-private for the state-machine tests).
     */
    void record(Node node, ProbeResult r) {
        Instant now = clock.instant();
        while (true) {
            HealthState cur = state.get();
            NodeHealth h = cur.health(node);
            NodeHealth nh = SwitchRules.afterProbe(policy, cur.active(), h, r, now);
            boolean cameUp = !h.up() && nh.up();
            Observations seen = observations(now);
            if (cameUp) {
                seen = seen.withUpSince(node, now.toEpochMilli());
            }
            HealthState probed = cur.with(nh);
            Decision d = SwitchRules.decide(policy, probed, seen);
            HealthState next = d.apply(probed, now);
            if (state.compareAndSet(cur, next)) {
                if (cameUp) {
                    leases.up(node, now.toEpochMilli());
                }
                SwitchEvent event = d.event(cur.active(), next, now);
                afterChange(h, nh, event);
                afterDecision(d, next, event);
                return;
            }
        }
    }

    /** Decides again without a new probe result (a lease was read). */
    private void reevaluate() {
        if (closed) {
            return;
        }
        Instant now = clock.instant();
        while (true) {
            HealthState cur = state.get();
            Decision d = SwitchRules.decide(policy, cur, observations(now));
            HealthState next = d.apply(cur, now);
            if (next == cur || state.compareAndSet(cur, next)) {
                SwitchEvent event = d.event(cur.active(), next, now);
                if (event != null) {
                    publish(event);
                }
                afterDecision(d, next, event);
                return;
            }
        }
    }

    private Observations observations(Instant now) {
        return leases.observations(now.toEpochMilli(), failbackGate);
    }

    /** Logs what a decision (already swapped in) says, once per wait. */
    private void afterDecision(Decision d, HealthState after, SwitchEvent event) {
        if (d instanceof Decision.FailbackWaits w) {
            if (!w.reason().equals(lastGateHold)) {
                LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] failback to primary waits: " + w.reason());
            }
            lastGateHold = w.reason();
        } else if (event != null) {
            lastGateHold = null;
        }
        if (d instanceof Decision.NotServing n) {
            if (!n.quiet() && !n.reason().equals(lastLeaseHold)) {
                LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] not serving: " + n.reason());
            }
            lastLeaseHold = n.reason();
        } else {
            lastLeaseHold = null;
        }
        if (d instanceof Decision.JoinEpoch) {
            LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] epoch " + after.epoch() + " (lease)");
        }
    }

    private void afterChange(NodeHealth before, NodeHealth after, SwitchEvent event) {
        if (before.up() && !after.up()) {
            NodeSchedule s = schedules.get(after.node());
            s.retriesWhileDown = 0;
            if (event == null) {
                LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] " + after.node() + " is down after "
                        + after.consecutiveFailures() + " failed health checks (" + after.lastError() + "); "
                        + statusWord());
            }
        } else if (!before.up() && after.up() && event == null) {
            LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] " + after.node() + " is back up after "
                    + after.consecutiveSuccesses() + " good health checks; " + statusWord());
        }
        if (event != null) {
            publish(event);
        }
    }

    private String statusWord() {
        HealthState s = state.get();
        return "serving from " + s.active() + ", status " + s.status();
    }

    private void publish(SwitchEvent event) {
        LOG.log(event.kind() == SwitchKind.BOTH_DOWN ? System.Logger.Level.ERROR : System.Logger.Level.INFO,
                "[DB-Redundancy] " + label(event.kind()) + ": " + event.from() + " -> " + event.to()
                        + " (epoch " + event.epoch() + "): " + event.reason());
        for (SwitchListener l : listeners) {
            try {
                l.onSwitch(event);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] switch listener " + l + " failed: " + e, e);
            }
        }
    }

    private static String label(SwitchKind k) {
        return switch (k) {
            case FAILOVER -> "Failover";
            case FAILBACK -> "Failback";
            case BOTH_DOWN -> "Both primary and secondary databases are unavailable";
            case RECOVERED -> "Recovered";
            case MANUAL_FAILOVER -> "Manual failover";
            case MANUAL_FAILBACK -> "Manual failback";
        };
    }

    // ---------------------------------------------------------------- manual control

    /**
     * Switches to the secondary on request and holds it there until {@link #failback()} (or until it fails).
     *
     * @return the switch, or null when the secondary already serves
     * @throws IllegalStateException when no secondary is configured or it is known to be down
     */
    public SwitchEvent failover() {
        return onScheduler(() -> manual(SwitchKind.MANUAL_FAILOVER));
    }

    /**
     * Switches to the primary on request.
     *
     * @return the switch, or null when the primary already serves
     * @throws IllegalStateException when the primary is known to be down, or the failback gate says to wait
     */
    public SwitchEvent failback() {
        return onScheduler(() -> manual(SwitchKind.MANUAL_FAILBACK));
    }

    private SwitchEvent manual(SwitchKind kind) {
        Instant now = clock.instant();
        while (true) {
            HealthState cur = state.get();
            Decision d = SwitchRules.manual(cur, kind, observations(now));
            if (d instanceof Decision.Refused r) {
                throw new IllegalStateException(r.message());
            }
            HealthState next = d.apply(cur, now);
            if (next == cur) {
                return null;
            }
            if (state.compareAndSet(cur, next)) {
                SwitchEvent event = d.event(cur.active(), next, now);
                publish(event);
                return event;
            }
        }
    }

    private <T> T onScheduler(Supplier<T> work) {
        if (scheduler.inScheduler()) {
            return work.get();
        }
        CompletableFuture<T> f = new CompletableFuture<>();
        scheduler.execute(() -> {
            try {
                f.complete(work.get());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("[DB-Redundancy] the health thread of unit " + unit + " did not answer");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        closed = true;
        scheduler.close();
        prober.close();
    }

    @Override
    public String toString() {
        return "HealthMonitor[" + unit + ": " + state.get().active() + "]";
    }
}
