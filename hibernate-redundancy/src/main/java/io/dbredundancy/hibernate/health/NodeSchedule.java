package io.dbredundancy.hibernate.health;

import java.util.ArrayList;
import java.util.List;

/**
 * When to probe one node, and its probes in flight: every {@code interval_ms} while healthy; every
 * {@code fastPeriodMs} (overlapping, so a hang is counted every period and not every timeout) while it is suspect or
 * its last probe failed; a down node gets a few quick retries, then one every {@code primary_retry_interval_ms} with
 * jitter. Touched only on the monitor's scheduler thread; the node's health comes in as an argument.
 */
final class NodeSchedule {

    /** One probe in flight. */
    static final class Probe {
        final long startedAt;
        long deadline;
        /** When a thread started running it (0 before): set by the probe's thread. */
        volatile long runningSince;
        boolean extended;
        boolean done;

        Probe(long startedAt, long deadline) {
            this.startedAt = startedAt;
            this.deadline = deadline;
        }
    }

    private final HealthPolicy policy;
    long lastLaunchAt;
    long jitterMs;
    boolean probeNow;
    long suspectUntil;
    long signalsSeen;
    int retriesWhileDown;
    final List<Probe> inFlight = new ArrayList<>();

    NodeSchedule(HealthPolicy policy) {
        this.policy = policy;
    }

    /**
     * A probe whose thread started late (starved CPU) gets its whole time-out from when it started running, up to
     * three time-outs after launch; a probe whose deadline passed during a stall of the health thread gets a short
     * grace to report.
     */
    void graceForStalls(Probe p, long now, boolean stalled) {
        long timeout = policy.timeoutMs();
        long running = p.runningSince;
        if (running > 0) {
            p.deadline = Math.max(p.deadline, Math.min(running + timeout, p.startedAt + 3 * timeout));
        } else if (now >= p.deadline && now < p.startedAt + 3 * timeout) {
            p.deadline = Math.min(now + policy.fastPeriodMs(), p.startedAt + 3 * timeout);
        }
        if (stalled && !p.extended && now >= p.deadline) {
            p.extended = true;
            p.deadline = now + 2 * policy.fastPeriodMs();
        }
    }

    boolean suspect(long now) {
        return now < suspectUntil;
    }

    /** Makes the node suspect from {@code now}; true when it was not suspect before. */
    boolean becomeSuspect(long now) {
        boolean was = suspect(now);
        suspectUntil = now + policy.timeoutMs() + policy.fastPeriodMs() * policy.failureThreshold() * 2L;
        return !was;
    }

    boolean fastMode(NodeHealth h, long now) {
        return h.up() && (h.consecutiveFailures() > 0 || suspect(now));
    }

    boolean canLaunch(NodeHealth h, long now) {
        return inFlight.isEmpty() || (fastMode(h, now) && inFlight.size() < policy.maxInFlight());
    }

    long period(NodeHealth h, long now) {
        if (h.up()) {
            return fastMode(h, now) ? policy.fastPeriodMs() : policy.intervalMs();
        }
        if (h.consecutiveSuccesses() > 0) {
            return Math.min(policy.intervalMs(), policy.retryIntervalMs());
        }
        if (retriesWhileDown < policy.quickRetries()) {
            return policy.quickRetryMs();
        }
        return policy.retryIntervalMs() + jitterMs;
    }

    long dueAt(NodeHealth h, long now) {
        return probeNow ? now : lastLaunchAt + period(h, now);
    }

    /**
     * A probe launched at {@code now}; {@code random} in [0, 1) draws the jitter of the next retry of a down node.
     */
    Probe launch(NodeHealth h, long now, double random) {
        Probe p = new Probe(now, now + policy.timeoutMs());
        inFlight.add(p);
        if (!h.up()) {
            retriesWhileDown++;
        }
        lastLaunchAt = now;
        probeNow = false;
        jitterMs = (long) ((random - 0.5) * 0.4 * policy.retryIntervalMs());
        return p;
    }
}
