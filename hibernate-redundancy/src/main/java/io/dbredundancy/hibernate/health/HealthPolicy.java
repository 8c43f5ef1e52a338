package io.dbredundancy.hibernate.health;

import io.dbredundancy.hibernate.RedundancyConfig;

/**
 * The timing and thresholds of the monitor.
 *
 * @param intervalMs         probe period of a healthy node
 * @param timeoutMs          a probe not answered within it counts as failed
 * @param failureThreshold   consecutive failures that mark a node down
 * @param failbackThreshold  consecutive successes that mark a down node up again (and fail back to the primary)
 * @param retryIntervalMs    probe period of a down node after the quick retries
 * @param autoFailback       {@code failback=auto}
 * @param fastPeriodMs       probe period while a node is suspect (a passive signal, a failed or slow probe);
 *                           probes then overlap so that hangs are counted every period, not every timeout
 * @param quickRetries       probes of a down node at the quick period before slowing to {@code retryIntervalMs}
 */
public record HealthPolicy(long intervalMs, long timeoutMs, int failureThreshold, int failbackThreshold,
                           long retryIntervalMs, boolean autoFailback, long fastPeriodMs, int quickRetries) {

    public static HealthPolicy from(RedundancyConfig c) {
        return new HealthPolicy(c.healthIntervalMs(), c.healthTimeoutMs(), c.failureThreshold(), c.failbackThreshold(),
                c.primaryRetryIntervalMs(), c.failback() == RedundancyConfig.FailbackMode.AUTO,
                Math.max(10, Math.min(50, c.healthIntervalMs() / 5)), 5);
    }

    /** Period of the quick retries of a node that just went down. */
    long quickRetryMs() {
        return Math.max(fastPeriodMs * 2, Math.min(intervalMs, retryIntervalMs) / 2);
    }

    /** A probe in flight longer than this makes the node suspect (fast, overlapping probes). */
    long slowProbeMs() {
        return Math.max(fastPeriodMs, Math.min(timeoutMs / 2, 200));
    }

    /**
     * A lease not renewed for this long is abandoned: no instance serving its node can reach the database holding
     * it, so an instance that cannot reach that node either may take over the other one.
     */
    public long leaseTtlMs() {
        return Math.max(2000, 3 * intervalMs + 2 * timeoutMs);
    }

    /** Most probes of one node in flight at once (overlapping probes of a hanging node). */
    int maxInFlight() {
        return failureThreshold + 1;
    }
}
