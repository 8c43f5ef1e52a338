package io.dbredundancy.hibernate.health;

import io.dbredundancy.hibernate.ActiveNode;
import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.SwitchEvent;
import io.dbredundancy.hibernate.SwitchKind;
import io.dbredundancy.hibernate.lease.Lease;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The state machine's rules on a manual clock: thresholds, failback, flapping, both down, hangs. No sleeping. */
class HealthMonitorTest {

    /** Default policy: interval 500, timeout 500, failure threshold 3, failback threshold 5, retry 1000, auto. */
    private static final HealthPolicy DEFAULTS = new HealthPolicy(500, 500, 3, 5, 1000, true, 50, 5);

    private final ManualScheduler scheduler = new ManualScheduler();
    private final Map<Node, ProbeResult> answers = new EnumMap<>(Node.class);
    private final Set<Node> hung = EnumSet.noneOf(Node.class);
    private final Map<Node, Integer> probes = new EnumMap<>(Node.class);
    private final List<SwitchEvent> events = new ArrayList<>();
    private HealthMonitor monitor;

    private final List<Long> primaryProbeTimes = new ArrayList<>();

    private final Prober prober = (node, timeoutMs) -> {
        probes.merge(node, 1, Integer::sum);
        if (node == Node.PRIMARY) {
            primaryProbeTimes.add(scheduler.now());
        }
        return answers.get(node);
    };

    private final List<Runnable> starvedTasks = new ArrayList<>();
    private boolean starved;

    /** Runs probes at once, except those of hung nodes, which never return. */
    private final Executor executor = task -> {
        if (starved) {
            starvedTasks.add(task); // no thread to run it yet
            return;
        }
        if (task instanceof HealthMonitor.ProbeTask p && hung.contains(p.node())) {
            p.markStarted().run(); // the probe runs, and never returns
            probes.merge(p.node(), 1, Integer::sum);
            return;
        }
        task.run();
    };

    private static final ProbeResult OK = ProbeResult.ok(1.0);
    private static final ProbeResult REFUSED = ProbeResult.failed(1.0, "Connection refused", "08001",
            ProbeResult.Failure.REFUSED);
    /** A failure that is not certain (a reset, an error): the threshold applies. */
    private static final ProbeResult BROKEN = ProbeResult.failed(1.0, "Connection reset", "08006",
            ProbeResult.Failure.OTHER);

    private HealthMonitor start(HealthPolicy policy, boolean primaryUp, Boolean secondaryUp) {
        answers.put(Node.PRIMARY, primaryUp ? OK : REFUSED);
        Instant now = scheduler.clock.instant();
        NodeHealth p = NodeHealth.initial(Node.PRIMARY, primaryUp, 1, now, primaryUp ? null : "refused");
        NodeHealth s = null;
        if (secondaryUp != null) {
            answers.put(Node.SECONDARY, secondaryUp ? OK : REFUSED);
            s = NodeHealth.initial(Node.SECONDARY, secondaryUp, 1, now, secondaryUp ? null : "refused");
        }
        monitor = new HealthMonitor("test", policy, HealthState.initial(p, s, now), prober, scheduler.clock, scheduler,
                executor);
        monitor.addListener(events::add);
        monitor.start();
        scheduler.advance(0);
        return monitor;
    }

    @AfterEach
    void close() {
        if (monitor != null) {
            monitor.close();
        }
    }

    private ActiveNode active() {
        return monitor.state().active();
    }

    /** Advances until the active node is {@code target}; returns the elapsed simulated ms, or -1 after {@code max}. */
    private long timeUntil(ActiveNode target, long max) {
        long start = scheduler.now();
        while (scheduler.now() - start <= max) {
            if (active() == target) {
                return scheduler.now() - start;
            }
            scheduler.advance(5);
        }
        return -1;
    }

    @Test
    void failsOverAfterThresholdConsecutiveFailuresOfThePrimary() {
        start(DEFAULTS, true, true);
        scheduler.advance(2000);
        assertThat(active()).isEqualTo(ActiveNode.PRIMARY);

        answers.put(Node.PRIMARY, BROKEN);
        int before = probes.getOrDefault(Node.PRIMARY, 0);
        long t = timeUntil(ActiveNode.SECONDARY, 5000);
        assertThat(t).isBetween(0L, 500L + 2 * 100L + 50);
        assertThat(probes.get(Node.PRIMARY) - before).isEqualTo(3);
        assertThat(events).hasSize(1);
        SwitchEvent e = events.get(0);
        assertThat(e.kind()).isEqualTo(SwitchKind.FAILOVER);
        assertThat(e.from()).isEqualTo(ActiveNode.PRIMARY);
        assertThat(e.to()).isEqualTo(ActiveNode.SECONDARY);
        assertThat(e.epoch()).isEqualTo(1);
        assertThat(e.fromFailed()).isTrue();
        assertThat(e.toString()).contains("FAILOVER primary -> secondary", "primary failed 3 consecutive health checks",
                "Connection reset");
        HealthState s = monitor.state();
        assertThat(s.failoverCount()).isEqualTo(1);
        assertThat(s.lastFailover()).isNotNull();
        assertThat(s.epoch()).isEqualTo(1);
        assertThat(s.status()).isEqualTo("degraded");
    }

    @Test
    void oneRefusedConnectionOfThePrimaryIsEnoughToFailOver() {
        start(DEFAULTS, true, true);
        scheduler.advance(2000);
        answers.put(Node.PRIMARY, REFUSED);
        int before = probes.getOrDefault(Node.PRIMARY, 0);
        assertThat(timeUntil(ActiveNode.SECONDARY, 5000)).isNotNegative();
        assertThat(probes.get(Node.PRIMARY) - before).isEqualTo(1);
        assertThat(events).extracting(SwitchEvent::kind).containsExactly(SwitchKind.FAILOVER);
        // a restart: refused, then up again; failback still waits for its consecutive successes, once
        answers.put(Node.PRIMARY, OK);
        assertThat(timeUntil(ActiveNode.PRIMARY, 10_000)).isNotNegative();
        scheduler.advance(30_000);
        assertThat(events).extracting(SwitchEvent::kind).containsExactly(SwitchKind.FAILOVER, SwitchKind.FAILBACK);
    }

    @Test
    void passiveSignalMakesACrashFailOverWithinHalfASecond() {
        start(DEFAULTS, true, true);
        scheduler.advance(520); // just after a regular probe: the next one is ~480 ms away
        answers.put(Node.PRIMARY, REFUSED);
        assertThat(monitor.reportFailure(Node.PRIMARY, new java.sql.SQLException("terminating connection", "57P01")))
                .isTrue();
        long t = timeUntil(ActiveNode.SECONDARY, 5000);
        assertThat(t).isBetween(0L, 200L);
    }

    @Test
    void statementErrorsAreNotPassiveSignals() {
        start(DEFAULTS, true, true);
        assertThat(monitor.reportFailure(Node.PRIMARY, new java.sql.SQLException("duplicate key", "23505"))).isFalse();
        assertThat(monitor.reportFailure(Node.PRIMARY, new java.sql.SQLTransientConnectionException("timeout")))
                .isTrue();
    }

    @Test
    void aSignalWithHealthyProbesDoesNotFailOver() {
        start(DEFAULTS, true, true);
        for (int i = 0; i < 20; i++) {
            monitor.reportFailure(Node.PRIMARY, new java.sql.SQLTransientConnectionException("pool exhausted"));
            scheduler.advance(100);
        }
        assertThat(active()).isEqualTo(ActiveNode.PRIMARY);
        assertThat(events).isEmpty();
    }

    @Test
    void aHangFailsOverWithinAboutOneAndAHalfSeconds() {
        start(DEFAULTS, true, true);
        scheduler.advance(1000);
        hung.add(Node.PRIMARY);
        long t = timeUntil(ActiveNode.SECONDARY, 10_000);
        assertThat(t).isBetween(500L, 1500L);
        assertThat(monitor.state().primary().lastError()).contains("no answer within 500 ms");
    }

    @Test
    void probesThatWaitForAThreadAreNotCountedAsTimeouts() {
        start(DEFAULTS, true, true);
        scheduler.advance(1000);
        starved = true; // a loaded host: probe threads get no CPU for 1.2 s, the database is fine
        scheduler.advance(1200);
        starved = false;
        List<Runnable> late = List.copyOf(starvedTasks);
        late.forEach(Runnable::run);
        scheduler.advance(3000);
        assertThat(late).isNotEmpty();
        assertThat(events).isEmpty();
        assertThat(monitor.state().primary().consecutiveFailures()).isZero();
    }

    @Test
    void singleFailuresBetweenSuccessesNeverFailOver() {
        start(DEFAULTS, true, true);
        for (int i = 0; i < 40; i++) {
            answers.put(Node.PRIMARY, i % 3 == 2 ? OK : BROKEN);
            scheduler.advance(50);
            answers.put(Node.PRIMARY, OK);
            scheduler.advance(500);
        }
        assertThat(events).isEmpty();
    }

    @Test
    void failsBackAfterTheFailbackThresholdOfGoodPrimaryProbes() {
        start(DEFAULTS, true, true);
        answers.put(Node.PRIMARY, REFUSED);
        assertThat(timeUntil(ActiveNode.SECONDARY, 5000)).isNotNegative();
        scheduler.advance(3000);
        answers.put(Node.PRIMARY, OK);
        int before = probes.get(Node.PRIMARY);
        assertThat(timeUntil(ActiveNode.PRIMARY, 10_000)).isNotNegative();
        assertThat(probes.get(Node.PRIMARY) - before).isEqualTo(5);
        assertThat(events).extracting(SwitchEvent::kind).containsExactly(SwitchKind.FAILOVER, SwitchKind.FAILBACK);
        assertThat(events.get(1).fromFailed()).isFalse();
        assertThat(monitor.state().epoch()).isEqualTo(2);
        assertThat(monitor.state().status()).isEqualTo("healthy");
    }

    @Test
    void manualFailbackModeHoldsTheSecondaryUntilFailbackIsCalled() {
        start(new HealthPolicy(500, 500, 3, 5, 1000, false, 50, 5), true, true);
        answers.put(Node.PRIMARY, REFUSED);
        assertThat(timeUntil(ActiveNode.SECONDARY, 5000)).isNotNegative();
        answers.put(Node.PRIMARY, OK);
        scheduler.advance(30_000);
        assertThat(active()).isEqualTo(ActiveNode.SECONDARY);
        assertThat(monitor.state().primary().up()).isTrue();
        SwitchEvent e = monitor.failback();
        assertThat(e.kind()).isEqualTo(SwitchKind.MANUAL_FAILBACK);
        assertThat(active()).isEqualTo(ActiveNode.PRIMARY);
        assertThat(monitor.failback()).isNull();
    }

    @Test
    void aFlappingPrimaryDoesNotCauseASwitchStorm() {
        start(DEFAULTS, true, true);
        // the primary is up 2 probes' worth, down 2 probes' worth, for a minute
        for (int i = 0; i < 60; i++) {
            answers.put(Node.PRIMARY, i % 2 == 0 ? BROKEN : OK);
            scheduler.advance(1000);
        }
        assertThat(events.size()).isLessThanOrEqualTo(2);
        assertThat(events.stream().filter(e -> e.kind() == SwitchKind.FAILBACK)).isEmpty();
        assertThat(active()).isEqualTo(ActiveNode.SECONDARY);
    }

    @Test
    void bothDownThenServesFromWhicheverReturnsFirst() {
        start(DEFAULTS, true, true);
        answers.put(Node.SECONDARY, REFUSED);
        scheduler.advance(5000);
        assertThat(monitor.state().secondary().up()).isFalse();
        assertThat(active()).isEqualTo(ActiveNode.PRIMARY);
        assertThat(monitor.state().status()).isEqualTo("degraded");

        answers.put(Node.PRIMARY, REFUSED);
        assertThat(timeUntil(ActiveNode.NONE, 5000)).isNotNegative();
        assertThat(events.get(0).kind()).isEqualTo(SwitchKind.BOTH_DOWN);
        assertThat(monitor.state().status()).isEqualTo("down");

        scheduler.advance(20_000);
        answers.put(Node.SECONDARY, OK);
        assertThat(timeUntil(ActiveNode.SECONDARY, 3000)).isNotNegative();
        assertThat(events.get(1).kind()).isEqualTo(SwitchKind.RECOVERED);

        answers.put(Node.PRIMARY, OK);
        assertThat(timeUntil(ActiveNode.PRIMARY, 10_000)).isNotNegative();
        assertThat(events.get(2).kind()).isEqualTo(SwitchKind.FAILBACK);
    }

    @Test
    void bothDownRecoveryPrefersThePrimary() {
        start(DEFAULTS, false, false);
        assertThat(active()).isEqualTo(ActiveNode.NONE);
        answers.put(Node.PRIMARY, OK);
        answers.put(Node.SECONDARY, OK);
        assertThat(timeUntil(ActiveNode.PRIMARY, 3000)).isNotNegative();
    }

    @Test
    void manualFailoverToADownSecondaryIsRefused() {
        start(DEFAULTS, true, true);
        answers.put(Node.SECONDARY, REFUSED);
        scheduler.advance(2000);
        assertThatThrownBy(monitor::failover).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Manual failover refused: the secondary database is down")
                .hasMessageContaining("Connection refused");
        assertThat(active()).isEqualTo(ActiveNode.PRIMARY);
    }

    @Test
    void manualFailoverWithoutSecondaryIsRefused() {
        start(DEFAULTS, true, null);
        assertThatThrownBy(monitor::failover).hasMessageContaining("no secondary database is configured");
    }

    @Test
    void manualFailoverHoldsAgainstAutomaticFailback() {
        start(DEFAULTS, true, true);
        SwitchEvent e = monitor.failover();
        assertThat(e.kind()).isEqualTo(SwitchKind.MANUAL_FAILOVER);
        assertThat(e.fromFailed()).isFalse();
        scheduler.advance(30_000);
        assertThat(active()).isEqualTo(ActiveNode.SECONDARY);
        assertThat(monitor.state().failoverCount()).isEqualTo(1);
        monitor.failback();
        assertThat(active()).isEqualTo(ActiveNode.PRIMARY);
        assertThat(monitor.state().epoch()).isEqualTo(2);
    }

    @Test
    void aFailedSecondaryWhileServingSwitchesBackToAHealthyPrimary() {
        start(DEFAULTS, true, true);
        monitor.failover();
        answers.put(Node.SECONDARY, REFUSED);
        assertThat(timeUntil(ActiveNode.PRIMARY, 5000)).isNotNegative();
        assertThat(events.get(1).kind()).isEqualTo(SwitchKind.FAILBACK);
        assertThat(events.get(1).fromFailed()).isTrue();
    }

    @Test
    void failbackGateDelaysAutomaticFailback() {
        start(DEFAULTS, true, true);
        String[] hold = {"3 journal entries to drain"};
        monitor.setFailbackGate(() -> hold[0]);
        answers.put(Node.PRIMARY, REFUSED);
        assertThat(timeUntil(ActiveNode.SECONDARY, 5000)).isNotNegative();
        answers.put(Node.PRIMARY, OK);
        scheduler.advance(10_000);
        assertThat(active()).isEqualTo(ActiveNode.SECONDARY);
        assertThatThrownBy(monitor::failback).hasMessageContaining("3 journal entries to drain");
        hold[0] = null;
        assertThat(timeUntil(ActiveNode.PRIMARY, 2000)).isNotNegative();
    }

    @Test
    void aDownNodeGetsQuickRetriesThenTheRetryInterval() {
        start(DEFAULTS, true, true);
        answers.put(Node.SECONDARY, REFUSED);
        for (int i = 0; i < 1000 && monitor.state().secondary().up(); i++) {
            scheduler.advance(5);
        }
        assertThat(monitor.state().secondary().up()).isFalse();
        int before = probes.get(Node.SECONDARY);
        scheduler.advance(1300); // 5 quick retries (250 ms)
        int quick = probes.get(Node.SECONDARY) - before;
        scheduler.advance(20_000);
        int slow = probes.get(Node.SECONDARY) - before - quick;
        assertThat(quick).isEqualTo(5);
        assertThat(slow).isBetween(15, 27); // ~ every 1000 ms +-20% jitter
    }

    @Test
    void aFailedPrimaryIsRetriedFiveTimesQuicklyThenEveryRetryIntervalWithJitter() {
        // the source documents' numbers: 5 quick retries, then every 10 s (+-20 % jitter, so instances spread out)
        HealthPolicy policy = new HealthPolicy(500, 500, 3, 5, 10_000, true, 50, 5);
        start(policy, true, true);
        answers.put(Node.PRIMARY, REFUSED);
        assertThat(timeUntil(ActiveNode.SECONDARY, 5_000)).isNotNegative();
        assertThat(monitor.state().primary().up()).isFalse();
        primaryProbeTimes.clear();
        long downAt = scheduler.now();
        scheduler.advance(150_000);

        List<Long> gaps = new ArrayList<>();
        long prev = downAt;
        for (long t : primaryProbeTimes) {
            gaps.add(t - prev);
            prev = t;
        }
        assertThat(gaps).hasSizeBetween(5 + 12, 5 + 19);
        long quick = policy.quickRetryMs();
        assertThat(quick).isLessThanOrEqualTo(500);
        // the first retry follows the failed check that marked the node down by at most one quick period
        assertThat(gaps.get(0)).isBetween(0L, quick);
        assertThat(gaps.subList(1, 5)).allSatisfy(g -> assertThat(g).isEqualTo(quick));
        List<Long> slow = gaps.subList(5, gaps.size());
        assertThat(slow).allSatisfy(g -> assertThat(g).isBetween(8_000L, 12_000L));
        assertThat(slow.stream().distinct().count()).as("jittered, not a fixed period: %s", slow).isGreaterThan(3);
        assertThat(events).extracting(SwitchEvent::kind).containsExactly(SwitchKind.FAILOVER);

        // back up: the quick retries start again at the next failure
        answers.put(Node.PRIMARY, OK);
        assertThat(timeUntil(ActiveNode.PRIMARY, 20_000)).isNotNegative();
        answers.put(Node.PRIMARY, REFUSED);
        assertThat(timeUntil(ActiveNode.SECONDARY, 5_000)).isNotNegative();
        primaryProbeTimes.clear();
        long again = scheduler.now();
        scheduler.advance(5 * quick + quick / 2);
        assertThat(primaryProbeTimes).hasSize(5).last().satisfies(t -> assertThat(t - again).isLessThan(5 * quick + 1));
    }

    @Test
    void illegalTransitionsCannotBeWritten() {
        Instant now = Instant.now();
        HealthState s = HealthState.initial(NodeHealth.initial(Node.PRIMARY, true, 1, now, null),
                NodeHealth.initial(Node.SECONDARY, true, 1, now, null), now);
        assertThatThrownBy(() -> s.switchTo(SwitchKind.FAILBACK, ActiveNode.PRIMARY, now))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("Illegal switch FAILBACK");
        assertThatThrownBy(() -> s.switchTo(SwitchKind.FAILOVER, ActiveNode.NONE, now))
                .isInstanceOf(IllegalStateException.class);
        HealthState noSecondary = HealthState.initial(NodeHealth.initial(Node.PRIMARY, true, 1, now, null), null, now);
        assertThatThrownBy(() -> noSecondary.switchTo(SwitchKind.FAILOVER, ActiveNode.SECONDARY, now))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void noSecondaryPrimaryDownMeansDown() {
        start(DEFAULTS, true, null);
        assertThat(monitor.state().status()).isEqualTo("degraded");
        answers.put(Node.PRIMARY, REFUSED);
        assertThat(timeUntil(ActiveNode.NONE, 5000)).isNotNegative();
        assertThat(events.get(0).reason()).contains("no secondary is configured");
        answers.put(Node.PRIMARY, OK);
        assertThat(timeUntil(ActiveNode.PRIMARY, 5000)).isNotNegative();
    }

    // ---------------------------------------------------------------- the lease of several instances

    private void lease(Node from, long epoch, Node active, boolean manual, long ageMs) {
        monitor.observeLease(from, true, new Lease(epoch, active, "other@host/app", manual, ageMs));
        scheduler.advance(0);
    }

    @Test
    void followsALaterLeaseToTheNodeItNamesInItsEpoch() {
        start(DEFAULTS, true, true);
        lease(Node.SECONDARY, 0, Node.PRIMARY, false, 0);
        assertThat(events).isEmpty();
        lease(Node.SECONDARY, 4, Node.SECONDARY, true, 0);
        assertThat(active()).isEqualTo(ActiveNode.SECONDARY);
        assertThat(monitor.state().epoch()).isEqualTo(4);
        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(SwitchKind.MANUAL_FAILOVER);
            assertThat(e.epoch()).isEqualTo(4);
            assertThat(e.fromFailed()).as("in-flight work on the demoted node is aborted").isTrue();
            assertThat(e.reason()).contains("following the lease", "other@host/app");
        });
        // a manual failover holds: no automatic failback while the primary is healthy
        scheduler.advance(10_000);
        assertThat(active()).isEqualTo(ActiveNode.SECONDARY);
        lease(Node.PRIMARY, 5, Node.PRIMARY, false, 0);
        assertThat(active()).isEqualTo(ActiveNode.PRIMARY);
        assertThat(events).extracting(SwitchEvent::kind).containsExactly(SwitchKind.MANUAL_FAILOVER, SwitchKind.FAILBACK);
    }

    @Test
    void aLeaseNamingANodeThisInstanceCannotReachStopsItServing() {
        start(DEFAULTS, true, true);
        answers.put(Node.SECONDARY, REFUSED);
        scheduler.advance(3000);
        assertThat(monitor.state().secondary().up()).isFalse();
        lease(Node.PRIMARY, 2, Node.SECONDARY, false, 100);
        assertThat(active()).isEqualTo(ActiveNode.NONE);
        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(SwitchKind.BOTH_DOWN);
            assertThat(e.reason()).contains("cannot reach");
        });
        // the others keep renewing it: the primary answers, but this instance does not take it
        for (int i = 0; i < 20; i++) {
            lease(Node.PRIMARY, 2, Node.SECONDARY, false, 100);
            scheduler.advance(500);
        }
        assertThat(active()).isEqualTo(ActiveNode.NONE);
        // the secondary is reachable again: to the node the lease names, without a new epoch
        answers.put(Node.SECONDARY, OK);
        assertThat(timeUntil(ActiveNode.SECONDARY, 10_000)).isNotNegative();
        assertThat(monitor.state().epoch()).isEqualTo(3);
    }

    @Test
    void aLeaseNoInstanceRenewsAnyMoreLetsThisInstanceTakeTheNodeItReaches() {
        start(DEFAULTS, true, true);
        answers.put(Node.SECONDARY, REFUSED);
        scheduler.advance(3000);
        lease(Node.PRIMARY, 2, Node.SECONDARY, false, 100);
        assertThat(active()).isEqualTo(ActiveNode.NONE);
        lease(Node.PRIMARY, 2, Node.SECONDARY, false, DEFAULTS.leaseTtlMs() + 1);
        assertThat(active()).isEqualTo(ActiveNode.PRIMARY);
        assertThat(events.get(events.size() - 1).reason()).contains("no instance has renewed");
        assertThat(monitor.state().epoch()).as("a new epoch: this instance proposes the switch").isEqualTo(3);
    }

    @Test
    void afterBothWereDownANodeIsTakenOnlyOnceItsLeaseWasReadAgain() {
        start(DEFAULTS, true, true);
        lease(Node.PRIMARY, 0, Node.PRIMARY, false, 0);
        lease(Node.SECONDARY, 0, Node.PRIMARY, false, 0);
        answers.put(Node.PRIMARY, REFUSED);
        answers.put(Node.SECONDARY, REFUSED);
        assertThat(timeUntil(ActiveNode.NONE, 5000)).isNotNegative();
        answers.put(Node.PRIMARY, OK);
        scheduler.advance(5000);
        assertThat(active()).as("the lease read before the outage does not count").isEqualTo(ActiveNode.NONE);
        lease(Node.PRIMARY, 0, Node.PRIMARY, false, 3000);
        assertThat(active()).isEqualTo(ActiveNode.PRIMARY);
    }

    @Test
    void twoProposalsOfOneEpochSettleOnThePrimary() {
        start(DEFAULTS, true, true);
        monitor.failover();
        long epoch = monitor.state().epoch();
        lease(Node.PRIMARY, epoch, Node.PRIMARY, false, 0);
        assertThat(active()).isEqualTo(ActiveNode.PRIMARY);
        assertThat(monitor.state().epoch()).isEqualTo(epoch);
        lease(Node.SECONDARY, epoch, Node.SECONDARY, false, 0);
        assertThat(active()).isEqualTo(ActiveNode.PRIMARY);
    }
}
