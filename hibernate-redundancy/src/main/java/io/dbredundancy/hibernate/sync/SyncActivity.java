package io.dbredundancy.hibernate.sync;

import io.dbredundancy.hibernate.status.StatusContributor;

import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The sync part of a unit's status: the runs asked for through the Java API ({@link #track}) and the scheduled
 * safety net, if any, seen as one: {@code running} while either runs, otherwise the outcome of the latest run to end
 * ({@code idle} or {@code failed}); {@code lastSync} is when the latest run ended.
 */
public final class SyncActivity implements StatusContributor {

    private final SafetyNetSync safetyNet;
    private final Clock clock;
    private final AtomicInteger running = new AtomicInteger();
    private volatile Instant lastSync;
    private volatile boolean lastFailed;

    /** @param safetyNet the unit's scheduled safety net, or null when it is off */
    public SyncActivity(SafetyNetSync safetyNet, Clock clock) {
        this.safetyNet = safetyNet;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The safety net, or null when it is off. */
    public SafetyNetSync safetyNet() {
        return safetyNet;
    }

    /** Runs {@code work} on the caller's thread, shown as {@code running} meanwhile and as its outcome after. */
    public <T> T track(Supplier<T> work) {
        running.incrementAndGet();
        boolean failed = true;
        try {
            T result = work.get();
            failed = false;
            return result;
        } finally {
            lastFailed = failed;
            lastSync = clock.instant();
            running.decrementAndGet();
        }
    }

    @Override
    public Instant lastSync() {
        Instant mine = lastSync;
        Instant net = safetyNet == null ? null : safetyNet.lastSync();
        if (mine == null) {
            return net;
        }
        return net == null || mine.isAfter(net) ? mine : net;
    }

    @Override
    public String syncStatus() {
        if (running.get() > 0 || (safetyNet != null && safetyNet.status() == SafetyNetSync.Status.RUNNING)) {
            return SafetyNetSync.Status.RUNNING.id();
        }
        Instant mine = lastSync;
        Instant net = safetyNet == null ? null : safetyNet.lastSync();
        if (net != null && (mine == null || net.isAfter(mine))) {
            return safetyNet.syncStatus();
        }
        return (mine != null && lastFailed ? SafetyNetSync.Status.FAILED : SafetyNetSync.Status.IDLE).id();
    }
}
