package io.dbredundancy.hibernate.health;

import io.dbredundancy.hibernate.ActiveNode;
import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.SwitchKind;
import io.dbredundancy.hibernate.lease.Lease;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The switch rules as pure functions: a state and observations in, a decision out. Every legal transition and every
 * refusal, without a scheduler or a database (the timing around them is {@link HealthMonitorTest}'s).
 */
class SwitchRulesTest {

    /** Interval 500, timeout 500, failure threshold 3, failback threshold 5, retry 1000, failback auto. */
    private static final HealthPolicy AUTO = new HealthPolicy(500, 500, 3, 5, 1000, true, 50, 5);
    private static final HealthPolicy MANUAL_FAILBACK = new HealthPolicy(500, 500, 3, 5, 1000, false, 50, 5);
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private static final long NOW_MS = NOW.toEpochMilli();
    private static final Observations NOTHING = Observations.at(NOW_MS);

    private static NodeHealth up(Node n) {
        return new NodeHealth(n, true, true, 1, NOW, 0, 5, null);
    }

    private static NodeHealth down(Node n) {
        return new NodeHealth(n, false, false, 1, NOW, 3, 0, "Connection refused");
    }

    private static NodeHealth upButLastProbeFailed(Node n) {
        return new NodeHealth(n, true, false, 1, NOW, 1, 0, "Connection reset");
    }

    private static HealthState state(ActiveNode active, NodeHealth primary, NodeHealth secondary) {
        return new HealthState(active, primary, secondary, 4, 0, null, NOW, false, NOW);
    }

    private static HealthState held(HealthState s) {
        return new HealthState(s.active(), s.primary(), s.secondary(), s.epoch(), s.failoverCount(), s.lastFailover(),
                s.lastSwitch(), true, s.startedAt());
    }

    private static Lease lease(long epoch, Node active, boolean manual, long ageMs) {
        return new Lease(epoch, active, "other@host/app", manual, ageMs);
    }

    private static Decision decide(HealthState s, Observations o) {
        return SwitchRules.decide(AUTO, s, o);
    }

    private static Decision.Switch switched(SwitchKind kind, ActiveNode to, Decision d) {
        assertThat(d).isInstanceOf(Decision.Switch.class);
        Decision.Switch sw = (Decision.Switch) d;
        assertThat(sw.kind()).isEqualTo(kind);
        assertThat(sw.to()).isEqualTo(to);
        return sw;
    }

    // ------------------------------------------------------------------ the active primary

    @Test
    void aHealthyPrimaryStays() {
        assertThat(decide(state(ActiveNode.PRIMARY, up(Node.PRIMARY), up(Node.SECONDARY)), NOTHING))
                .isSameAs(Decision.STAY);
    }

    @Test
    void aPrimaryWithOneFailedProbeStaysUntilItIsDown() {
        assertThat(decide(state(ActiveNode.PRIMARY, upButLastProbeFailed(Node.PRIMARY), up(Node.SECONDARY)), NOTHING))
                .isSameAs(Decision.STAY);
    }

    @Test
    void aDownPrimaryFailsOverToAHealthySecondary() {
        HealthState s = state(ActiveNode.PRIMARY, down(Node.PRIMARY), up(Node.SECONDARY));
        Decision.Switch sw = switched(SwitchKind.FAILOVER, ActiveNode.SECONDARY, decide(s, NOTHING));
        assertThat(sw.fromFailed()).isTrue();
        assertThat(sw.reason()).isEqualTo("primary failed 3 consecutive health checks (Connection refused)");
        HealthState after = sw.apply(s, NOW);
        assertThat(after.active()).isEqualTo(ActiveNode.SECONDARY);
        assertThat(after.epoch()).isEqualTo(5);
        assertThat(after.failoverCount()).isEqualTo(1);
        assertThat(sw.event(s.active(), after, NOW).toString())
                .isEqualTo("FAILOVER primary -> secondary (epoch 5, " + NOW + "): " + sw.reason());
    }

    @Test
    void aDownPrimaryWithADownSecondaryIsBothDown() {
        Decision.Switch sw = switched(SwitchKind.BOTH_DOWN, ActiveNode.NONE,
                decide(state(ActiveNode.PRIMARY, down(Node.PRIMARY), down(Node.SECONDARY)), NOTHING));
        assertThat(sw.reason()).endsWith("; secondary is down too");
    }

    @Test
    void aDownPrimaryWithoutASecondaryIsBothDown() {
        Decision.Switch sw = switched(SwitchKind.BOTH_DOWN, ActiveNode.NONE,
                decide(state(ActiveNode.PRIMARY, down(Node.PRIMARY), null), NOTHING));
        assertThat(sw.reason()).endsWith("; no secondary is configured");
    }

    // ------------------------------------------------------------------ the active secondary

    @Test
    void aDownSecondaryFailsBackToAHealthyPrimary() {
        Decision.Switch sw = switched(SwitchKind.FAILBACK, ActiveNode.PRIMARY,
                decide(state(ActiveNode.SECONDARY, up(Node.PRIMARY), down(Node.SECONDARY)), NOTHING));
        assertThat(sw.fromFailed()).isTrue();
        assertThat(sw.reason()).endsWith("; primary is healthy");
    }

    @Test
    void aDownSecondaryWithADownPrimaryIsBothDown() {
        switched(SwitchKind.BOTH_DOWN, ActiveNode.NONE,
                decide(state(ActiveNode.SECONDARY, down(Node.PRIMARY), down(Node.SECONDARY)), NOTHING));
    }

    @Test
    void aPrimaryBackUpFailsBackAutomatically() {
        Decision.Switch sw = switched(SwitchKind.FAILBACK, ActiveNode.PRIMARY,
                decide(state(ActiveNode.SECONDARY, up(Node.PRIMARY), up(Node.SECONDARY)), NOTHING));
        assertThat(sw.fromFailed()).isFalse();
        assertThat(sw.reason()).isEqualTo("primary passed 5 consecutive health checks");
    }

    @Test
    void aPrimaryStillDownKeepsTheSecondary() {
        assertThat(decide(state(ActiveNode.SECONDARY, down(Node.PRIMARY), up(Node.SECONDARY)), NOTHING))
                .isSameAs(Decision.STAY);
    }

    @Test
    void failbackManualKeepsTheSecondaryWhenThePrimaryIsBack() {
        assertThat(SwitchRules.decide(MANUAL_FAILBACK, state(ActiveNode.SECONDARY, up(Node.PRIMARY), up(Node.SECONDARY)),
                NOTHING)).isSameAs(Decision.STAY);
    }

    @Test
    void aManualFailoverHoldsTheSecondaryAgainstAutomaticFailback() {
        assertThat(decide(held(state(ActiveNode.SECONDARY, up(Node.PRIMARY), up(Node.SECONDARY))), NOTHING))
                .isSameAs(Decision.STAY);
    }

    @Test
    void aClosedFailbackGateMakesTheFailbackWait() {
        Decision d = decide(state(ActiveNode.SECONDARY, up(Node.PRIMARY), up(Node.SECONDARY)),
                NOTHING.withGate(() -> "3 journal entries to apply"));
        assertThat(d).isEqualTo(new Decision.FailbackWaits("3 journal entries to apply"));
    }

    @Test
    void aFailbackGateThatThrowsMakesTheFailbackWait() {
        Decision d = decide(state(ActiveNode.SECONDARY, up(Node.PRIMARY), up(Node.SECONDARY)),
                NOTHING.withGate(() -> {
                    throw new IllegalStateException("no connection");
                }));
        assertThat(d).isEqualTo(new Decision.FailbackWaits(
                "failback check failed: java.lang.IllegalStateException: no connection"));
    }

    @Test
    void theFailbackGateIsNotAskedWhenNoFailbackIsDue() {
        Observations throwing = NOTHING.withGate(() -> {
            throw new AssertionError("gate asked");
        });
        assertThat(decide(state(ActiveNode.PRIMARY, up(Node.PRIMARY), up(Node.SECONDARY)), throwing))
                .isSameAs(Decision.STAY);
        assertThat(decide(state(ActiveNode.SECONDARY, down(Node.PRIMARY), up(Node.SECONDARY)), throwing))
                .isSameAs(Decision.STAY);
    }

    // ------------------------------------------------------------------ none active (both were down)

    @Test
    void bothDownStaysWhileNothingAnswers() {
        assertThat(decide(state(ActiveNode.NONE, down(Node.PRIMARY), down(Node.SECONDARY)), NOTHING))
                .isSameAs(Decision.STAY);
    }

    @Test
    void bothDownRecoversToThePrimaryFirst() {
        Decision.Switch sw = switched(SwitchKind.RECOVERED, ActiveNode.PRIMARY,
                decide(state(ActiveNode.NONE, up(Node.PRIMARY), up(Node.SECONDARY)), NOTHING));
        assertThat(sw.reason()).isEqualTo("primary answers again");
        assertThat(sw.fromFailed()).isFalse();
    }

    @Test
    void bothDownRecoversToTheSecondaryWhenOnlyItAnswers() {
        switched(SwitchKind.RECOVERED, ActiveNode.SECONDARY,
                decide(state(ActiveNode.NONE, down(Node.PRIMARY), up(Node.SECONDARY)), NOTHING));
    }

    @Test
    void recoveryWaitsQuietlyUntilTheLeaseOfTheReturningNodeWasRead() {
        Observations readBeforeItCameBack = NOTHING.withLease(Node.PRIMARY, lease(4, Node.PRIMARY, false, 0), NOW_MS - 10)
                .withUpSince(Node.PRIMARY, NOW_MS - 5);
        Decision d = decide(state(ActiveNode.NONE, up(Node.PRIMARY), down(Node.SECONDARY)), readBeforeItCameBack);
        assertThat(d).isEqualTo(new Decision.NotServing("waiting to read the lease of the primary database", true));
    }

    @Test
    void recoveryTakesANodeWhoseLeaseNamesIt() {
        Observations o = NOTHING.withLease(Node.PRIMARY, lease(4, Node.PRIMARY, false, 0), NOW_MS)
                .withUpSince(Node.PRIMARY, NOW_MS - 5);
        switched(SwitchKind.RECOVERED, ActiveNode.PRIMARY,
                decide(state(ActiveNode.NONE, up(Node.PRIMARY), down(Node.SECONDARY)), o));
    }

    @Test
    void recoveryTakesANodeWhoseDatabaseHasNoLeaseRowYet() {
        Observations o = NOTHING.withLease(Node.PRIMARY, null, NOW_MS);
        switched(SwitchKind.RECOVERED, ActiveNode.PRIMARY,
                decide(state(ActiveNode.NONE, up(Node.PRIMARY), down(Node.SECONDARY)), o));
    }

    @Test
    void recoveryIsRefusedWhileOthersServeFromANodeThisInstanceCannotReach() {
        Observations o = NOTHING.withLease(Node.PRIMARY, lease(4, Node.SECONDARY, false, 300), NOW_MS - 200);
        Decision d = decide(state(ActiveNode.NONE, up(Node.PRIMARY), down(Node.SECONDARY)), o);
        assertThat(d).isEqualTo(new Decision.NotServing("the lease names the secondary database (epoch 4, renewed 500 ms"
                + " ago), which other instances serve and this instance cannot reach", false));
    }

    @Test
    void recoveryTakesTheReachableNodeOnceNoInstanceRenewsTheLeaseOfTheOther() {
        long ttl = AUTO.leaseTtlMs();
        Observations o = NOTHING.withLease(Node.PRIMARY, lease(4, Node.SECONDARY, false, ttl), NOW_MS - 1);
        Decision.Switch sw = switched(SwitchKind.RECOVERED, ActiveNode.PRIMARY,
                decide(state(ActiveNode.NONE, up(Node.PRIMARY), down(Node.SECONDARY)), o));
        assertThat(sw.reason()).contains("which no instance has renewed for " + (ttl + 1) + " ms");
    }

    @Test
    void recoveryLeavesANodeToItsTurnWhenTheNodeItsLeaseNamesAnswersToo() {
        // the primary's lease names the secondary, which answers: the secondary is taken
        Observations o = NOTHING.withLease(Node.PRIMARY, lease(4, Node.SECONDARY, false, 0), NOW_MS)
                .withLease(Node.SECONDARY, lease(4, Node.SECONDARY, false, 0), NOW_MS);
        switched(SwitchKind.RECOVERED, ActiveNode.SECONDARY,
                decide(state(ActiveNode.NONE, up(Node.PRIMARY), up(Node.SECONDARY)), o));
    }

    // ------------------------------------------------------------------ following another instance's lease

    @Test
    void aLaterLeaseNamingTheSecondaryIsFollowedInItsEpoch() {
        HealthState s = state(ActiveNode.PRIMARY, up(Node.PRIMARY), up(Node.SECONDARY));
        Decision d = decide(s, NOTHING.withLease(Node.PRIMARY, lease(7, Node.SECONDARY, false, 0), NOW_MS));
        assertThat(d).isEqualTo(new Decision.Follow(SwitchKind.FAILOVER, ActiveNode.SECONDARY,
                "following the lease: other@host/app made the secondary database the active one in epoch 7", 7, false));
        HealthState after = d.apply(s, NOW);
        assertThat(after.epoch()).isEqualTo(7);
        assertThat(after.manualHold()).isFalse();
        assertThat(d.event(s.active(), after, NOW).fromFailed()).isTrue();
    }

    @Test
    void aLaterLeaseOfAManualFailoverIsFollowedAndHoldsTheSecondary() {
        HealthState s = state(ActiveNode.PRIMARY, up(Node.PRIMARY), up(Node.SECONDARY));
        Decision d = decide(s, NOTHING.withLease(Node.SECONDARY, lease(5, Node.SECONDARY, true, 0), NOW_MS));
        assertThat(d).isInstanceOf(Decision.Follow.class);
        assertThat(((Decision.Follow) d).kind()).isEqualTo(SwitchKind.MANUAL_FAILOVER);
        assertThat(d.apply(s, NOW).manualHold()).isTrue();
    }

    @Test
    void aLaterLeaseNamingThePrimaryIsFollowedByAFailback() {
        Decision d = decide(state(ActiveNode.SECONDARY, up(Node.PRIMARY), up(Node.SECONDARY)),
                NOTHING.withLease(Node.PRIMARY, lease(5, Node.PRIMARY, false, 0), NOW_MS));
        assertThat(((Decision.Follow) d).kind()).isEqualTo(SwitchKind.FAILBACK);
    }

    @Test
    void aLaterLeaseIsFollowedOutOfBothDownAsARecovery() {
        Decision d = decide(state(ActiveNode.NONE, down(Node.PRIMARY), up(Node.SECONDARY)),
                NOTHING.withLease(Node.SECONDARY, lease(5, Node.SECONDARY, false, 0), NOW_MS));
        assertThat(((Decision.Follow) d).kind()).isEqualTo(SwitchKind.RECOVERED);
    }

    @Test
    void aLaterLeaseNamingANodeThisInstanceCannotReachStopsItServing() {
        Decision d = decide(state(ActiveNode.PRIMARY, up(Node.PRIMARY), down(Node.SECONDARY)),
                NOTHING.withLease(Node.PRIMARY, lease(5, Node.SECONDARY, false, 0), NOW_MS));
        assertThat(d).isEqualTo(new Decision.Follow(SwitchKind.BOTH_DOWN, ActiveNode.NONE, "the lease names the"
                + " secondary database (epoch 5, written by other@host/app), which this instance cannot reach", 5, false));
    }

    @Test
    void aLaterLeaseNamingAnUnreachableNodeWhileServingNoneOnlyMovesTheEpoch() {
        HealthState s = state(ActiveNode.NONE, up(Node.PRIMARY), down(Node.SECONDARY));
        Decision d = decide(s, NOTHING.withLease(Node.PRIMARY, lease(5, Node.SECONDARY, false, 0), NOW_MS));
        assertThat(d).isEqualTo(new Decision.JoinEpoch(5, false));
        assertThat(d.apply(s, NOW).active()).isEqualTo(ActiveNode.NONE);
        assertThat(d.apply(s, NOW).epoch()).isEqualTo(5);
    }

    @Test
    void aLaterLeaseNamingTheServedNodeOnlyMovesTheEpoch() {
        HealthState s = state(ActiveNode.SECONDARY, down(Node.PRIMARY), up(Node.SECONDARY));
        Decision d = decide(s, NOTHING.withLease(Node.SECONDARY, lease(9, Node.SECONDARY, true, 0), NOW_MS));
        assertThat(d).isEqualTo(new Decision.JoinEpoch(9, true));
        HealthState after = d.apply(s, NOW);
        assertThat(after.epoch()).isEqualTo(9);
        assertThat(after.manualHold()).isTrue();
        assertThat(d.event(s.active(), after, NOW)).isNull();
    }

    @Test
    void aLeaseOfTheSameEpochNamingThePrimaryOutranksTheSecondary() {
        Decision d = decide(state(ActiveNode.SECONDARY, up(Node.PRIMARY), up(Node.SECONDARY)),
                NOTHING.withLease(Node.PRIMARY, lease(4, Node.PRIMARY, false, 0), NOW_MS));
        assertThat(((Decision.Follow) d).to()).isEqualTo(ActiveNode.PRIMARY);
    }

    @Test
    void aLeaseOfTheSameEpochNamingTheSecondaryDoesNotOutrankThePrimary() {
        assertThat(decide(state(ActiveNode.PRIMARY, up(Node.PRIMARY), up(Node.SECONDARY)),
                NOTHING.withLease(Node.PRIMARY, lease(4, Node.SECONDARY, false, 0), NOW_MS))).isSameAs(Decision.STAY);
    }

    @Test
    void anOlderLeaseIsIgnored() {
        assertThat(decide(state(ActiveNode.PRIMARY, up(Node.PRIMARY), up(Node.SECONDARY)),
                NOTHING.withLease(Node.SECONDARY, lease(3, Node.SECONDARY, false, 0), NOW_MS))).isSameAs(Decision.STAY);
    }

    @Test
    void aLeaseNamingTheSecondaryIsIgnoredWhenNoSecondaryIsConfigured() {
        assertThat(decide(state(ActiveNode.PRIMARY, up(Node.PRIMARY), null),
                NOTHING.withLease(Node.PRIMARY, lease(8, Node.SECONDARY, false, 0), NOW_MS))).isSameAs(Decision.STAY);
    }

    // ------------------------------------------------------------------ manual switches

    @Test
    void aManualFailoverSwitchesAwayFromAHealthyPrimary() {
        HealthState s = state(ActiveNode.PRIMARY, up(Node.PRIMARY), up(Node.SECONDARY));
        Decision.Switch sw = switched(SwitchKind.MANUAL_FAILOVER, ActiveNode.SECONDARY,
                SwitchRules.manual(s, SwitchKind.MANUAL_FAILOVER, NOTHING));
        assertThat(sw.fromFailed()).isFalse();
        assertThat(sw.reason()).isEqualTo("requested by the application");
        assertThat(sw.apply(s, NOW).manualHold()).isTrue();
    }

    @Test
    void aManualFailoverOutOfBothDownLeavesAFailedNode() {
        Decision.Switch sw = switched(SwitchKind.MANUAL_FAILOVER, ActiveNode.SECONDARY, SwitchRules.manual(
                state(ActiveNode.NONE, down(Node.PRIMARY), up(Node.SECONDARY)), SwitchKind.MANUAL_FAILOVER, NOTHING));
        assertThat(sw.fromFailed()).isTrue();
    }

    @Test
    void aManualFailbackSwitchesToTheConnectedPrimary() {
        switched(SwitchKind.MANUAL_FAILBACK, ActiveNode.PRIMARY, SwitchRules.manual(
                held(state(ActiveNode.SECONDARY, up(Node.PRIMARY), up(Node.SECONDARY))), SwitchKind.MANUAL_FAILBACK,
                NOTHING));
    }

    @Test
    void aManualSwitchToTheServingNodeDoesNothing() {
        assertThat(SwitchRules.manual(state(ActiveNode.SECONDARY, up(Node.PRIMARY), up(Node.SECONDARY)),
                SwitchKind.MANUAL_FAILOVER, NOTHING)).isSameAs(Decision.STAY);
        assertThat(SwitchRules.manual(state(ActiveNode.PRIMARY, up(Node.PRIMARY), up(Node.SECONDARY)),
                SwitchKind.MANUAL_FAILBACK, NOTHING)).isSameAs(Decision.STAY);
    }

    @Test
    void aManualFailoverWithoutASecondaryIsRefused() {
        assertThat(SwitchRules.manual(state(ActiveNode.PRIMARY, up(Node.PRIMARY), null), SwitchKind.MANUAL_FAILOVER,
                NOTHING)).isEqualTo(new Decision.Refused("Manual failover refused: no secondary database is configured"
                + " (hibernate.redundancy.secondary.url)"));
    }

    @Test
    void aManualFailoverToADisconnectedSecondaryIsRefused() {
        assertThat(SwitchRules.manual(state(ActiveNode.PRIMARY, up(Node.PRIMARY), upButLastProbeFailed(Node.SECONDARY)),
                SwitchKind.MANUAL_FAILOVER, NOTHING)).isEqualTo(new Decision.Refused(
                "Manual failover refused: the secondary database is down (last check: Connection reset)"));
    }

    @Test
    void aManualFailbackToADownPrimaryIsRefused() {
        assertThat(SwitchRules.manual(state(ActiveNode.SECONDARY, down(Node.PRIMARY), up(Node.SECONDARY)),
                SwitchKind.MANUAL_FAILBACK, NOTHING)).isEqualTo(new Decision.Refused(
                "Manual failback refused: the primary database is down (last check: Connection refused)"));
    }

    @Test
    void aManualFailbackIsRefusedWhileTheFailbackGateHolds() {
        assertThat(SwitchRules.manual(state(ActiveNode.SECONDARY, up(Node.PRIMARY), up(Node.SECONDARY)),
                SwitchKind.MANUAL_FAILBACK, NOTHING.withGate(() -> "journal not drained")))
                .isEqualTo(new Decision.Refused("Manual failback refused for now: journal not drained"));
    }

    @Test
    void onlyManualKindsAreManualSwitches() {
        assertThatThrownBy(() -> SwitchRules.manual(state(ActiveNode.PRIMARY, up(Node.PRIMARY), up(Node.SECONDARY)),
                SwitchKind.FAILOVER, NOTHING)).isInstanceOf(IllegalArgumentException.class);
    }

    // ------------------------------------------------------------------ one probe result

    @Test
    void oneRefusedConnectionMarksANodeDown() {
        NodeHealth h = SwitchRules.afterProbe(AUTO, ActiveNode.PRIMARY, up(Node.PRIMARY),
                ProbeResult.failed(1, "Connection refused", "08001", ProbeResult.Failure.REFUSED), NOW);
        assertThat(h.up()).isFalse();
    }

    @Test
    void otherFailuresMarkANodeDownOnlyAtTheFailureThreshold() {
        NodeHealth h = up(Node.PRIMARY);
        for (int i = 1; i <= 3; i++) {
            h = SwitchRules.afterProbe(AUTO, ActiveNode.PRIMARY, h, ProbeResult.timedOut(500), NOW);
            assertThat(h.up()).as("after %d time-outs", i).isEqualTo(i < 3);
        }
    }

    @Test
    void aDownNodeIsUpAgainAfterTheFailbackThresholdOrAtOnceWhenNothingServes() {
        NodeHealth h = down(Node.PRIMARY);
        for (int i = 1; i <= 5; i++) {
            h = SwitchRules.afterProbe(AUTO, ActiveNode.SECONDARY, h, ProbeResult.ok(1), NOW);
            assertThat(h.up()).as("after %d good probes", i).isEqualTo(i == 5);
        }
        assertThat(SwitchRules.afterProbe(AUTO, ActiveNode.NONE, down(Node.PRIMARY), ProbeResult.ok(1), NOW).up())
                .isTrue();
    }
}
