package io.dbredundancy.hibernate.health;

/**
 * What one probe saw.
 *
 * @param ok        the node answered {@code SELECT 1}
 * @param latencyMs how long the probe took
 * @param error     masked error text when not ok
 * @param sqlState  the SQLState of the failure, or null
 * @param refused   the connection was refused: a certain sign that no server listens
 * @param kind      why it failed, for start-up decisions
 */
public record ProbeResult(boolean ok, double latencyMs, String error, String sqlState, boolean refused, Failure kind) {

    /** Why a probe failed. Authentication and unknown-host failures are configuration errors, not outages. */
    public enum Failure { NONE, REFUSED, TIMEOUT, AUTHENTICATION, UNKNOWN_HOST, UNKNOWN_DATABASE, OTHER }

    public static ProbeResult ok(double latencyMs) {
        return new ProbeResult(true, latencyMs, null, null, false, Failure.NONE);
    }

    public static ProbeResult failed(double latencyMs, String error, String sqlState, Failure kind) {
        return new ProbeResult(false, latencyMs, error, sqlState, kind == Failure.REFUSED, kind);
    }

    public static ProbeResult timedOut(long timeoutMs) {
        return failed(timeoutMs, "no answer within " + timeoutMs + " ms", null, Failure.TIMEOUT);
    }

    /** Authentication, unknown host or unknown database: the settings are wrong, retrying will not help. */
    public boolean configurationError() {
        return kind == Failure.AUTHENTICATION || kind == Failure.UNKNOWN_HOST || kind == Failure.UNKNOWN_DATABASE;
    }
}
