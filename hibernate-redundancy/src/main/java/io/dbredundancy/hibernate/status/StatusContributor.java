package io.dbredundancy.hibernate.status;

import io.dbredundancy.hibernate.RedundancyStatus;

import java.time.Instant;

/**
 * SPI: a feature's part of the status snapshot. The mirror contributes {@link #mirror()}, the sync service
 * {@link #lastSync()} and {@link #syncStatus()}; a method returning null leaves that part to another contributor
 * (or to the default: mirror off, no sync, {@code idle}). Register with {@code RedundancyRuntime.addStatusContributor}.
 * Called on the thread asking for the status; keep it cheap and never throw.
 */
public interface StatusContributor {

    default RedundancyStatus.MirrorStatus mirror() {
        return null;
    }

    default Instant lastSync() {
        return null;
    }

    /** {@code idle}, {@code running} or {@code failed}. */
    default String syncStatus() {
        return null;
    }
}
