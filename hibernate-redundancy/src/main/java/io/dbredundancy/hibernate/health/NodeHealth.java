package io.dbredundancy.hibernate.health;

import io.dbredundancy.hibernate.Node;

import java.time.Instant;

/**
 * One node's health as the probes saw it. Immutable.
 *
 * @param up                   the verdict: false after {@code failure_threshold} consecutive failures, true again
 *                             only after the whole rise threshold of consecutive successes (no flapping)
 * @param connected            the last probe succeeded
 * @param latencyMs            duration of the last successful probe
 * @param lastCheck            when the last probe finished, null before the first
 * @param lastError            the last probe's error, passwords masked; null when none yet
 */
public record NodeHealth(Node node, boolean up, boolean connected, double latencyMs, Instant lastCheck,
                         int consecutiveFailures, int consecutiveSuccesses, String lastError) {

    public static NodeHealth initial(Node node, boolean up, double latencyMs, Instant checked, String error) {
        return new NodeHealth(node, up, up, latencyMs, checked, up ? 0 : 1, up ? 1 : 0, error);
    }

    /** After a good probe; the node is up again once {@code riseThreshold} successes follow one another. */
    NodeHealth success(double latency, Instant now, int riseThreshold) {
        int successes = consecutiveSuccesses + 1;
        return new NodeHealth(node, up || successes >= riseThreshold, true, latency, now, 0, successes, lastError);
    }

    /** After a failed probe; the node is down once {@code fallThreshold} failures follow one another. */
    NodeHealth failure(String error, Instant now, int fallThreshold) {
        int failures = consecutiveFailures + 1;
        return new NodeHealth(node, up && failures < fallThreshold, false, latencyMs, now, failures, 0, error);
    }

    @Override
    public String toString() {
        return node + (up ? " up" : " down") + (connected ? ", connected" : ", not connected")
                + ", failures=" + consecutiveFailures + ", successes=" + consecutiveSuccesses
                + (lastError == null ? "" : ", lastError=" + lastError);
    }
}
