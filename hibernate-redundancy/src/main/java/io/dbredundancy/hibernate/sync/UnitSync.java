package io.dbredundancy.hibernate.sync;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.routing.RedundancyRuntime;

/**
 * The sync part of one unit with a secondary: the {@link SyncService} over the unit's pools and, when
 * {@code sync.interval_ms} > 0, the scheduled safety net (on the health thread and the workers); both report through
 * one status contributor, the {@link SyncActivity}. Found with {@link #of(RedundancyRuntime)}.
 */
public final class UnitSync implements AutoCloseable {

    private final SyncService service;
    private final SyncActivity activity;
    private final SyncHost host;

    private UnitSync(SyncHost host) {
        this.host = host;
        this.service = new SyncService(host.endpoint(Node.PRIMARY), host.endpoint(Node.SECONDARY));
        SafetyNetSync net = null;
        if (host.config().syncIntervalMs() > 0) {
            net = new SafetyNetSync(service, () -> {
                // from the serving node to the other, only while the other is up (no failed run every period)
                Node active = host.activeNode();
                return active != null && host.up(active.other()) ? active : null;
            }, host.config().syncIntervalMs());
        }
        this.activity = new SyncActivity(net, host.clock());
    }

    /** The sync of a unit with a secondary (its status contributor registered), or null without one. */
    static UnitSync create(SyncHost host) {
        if (!host.config().redundancyEnabled()) {
            return null;
        }
        UnitSync s = new UnitSync(host);
        host.addStatusContributor(s.activity);
        return s;
    }

    /**
     * The sync of {@code unit}.
     *
     * @throws IllegalStateException when no secondary is configured
     */
    public static UnitSync of(RedundancyRuntime unit) {
        UnitSync s = find(unit);
        if (s == null) {
            throw new IllegalStateException("[DB-Redundancy] No secondary database is configured"
                    + " (hibernate.redundancy.secondary.url): there is nothing to sync");
        }
        return s;
    }

    /** The sync of {@code unit}, or null when it has no secondary. */
    public static UnitSync find(RedundancyRuntime unit) {
        return unit.feature(UnitSync.class);
    }

    /** The sync service over this unit's pools (full, incremental, verify, repair, sequences). */
    public SyncService service() {
        return service;
    }

    /** The sync part of the status (API runs and the safety net). */
    public SyncActivity activity() {
        return activity;
    }

    /** Starts the safety net's schedule, if it is on. */
    void start() {
        SafetyNetSync net = activity.safetyNet();
        if (net != null) {
            net.start((task, delayMs) -> host.schedule(task, delayMs), host.workers());
        }
    }

    @Override
    public void close() {
        SafetyNetSync net = activity.safetyNet();
        if (net != null) {
            net.close();
        }
    }
}
