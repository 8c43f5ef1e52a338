package io.dbredundancy.hibernate;

import io.dbredundancy.hibernate.status.RedundancyStatus;
import jakarta.persistence.EntityManagerFactory;

/**
 * The handle of one persistence unit's redundancy: its status, manual failover and failback, sync and verify.
 *
 * <pre>{@code
 * Redundancy r = Redundancy.of(emf);
 * System.out.println(r.status().toJson());
 * r.failover();
 * }</pre>
 */
public final class Redundancy {

    private Redundancy() {
    }

    /**
     * The handle of the unit behind {@code emf}.
     *
     * @throws IllegalArgumentException when the unit is not configured with {@code RedundantConnectionProvider}
     */
    public static Redundancy of(EntityManagerFactory emf) {
        throw new UnsupportedOperationException("not wired yet");
    }

    /** An immutable snapshot of the unit's state. */
    public RedundancyStatus status() {
        throw new UnsupportedOperationException("not wired yet");
    }

    /** Switches new sessions to the secondary now (manual override), whatever the probes say. */
    public void failover() {
        throw new UnsupportedOperationException("not wired yet");
    }

    /** Switches new sessions back to the primary now, once the mirror has drained back. */
    public void failback() {
        throw new UnsupportedOperationException("not wired yet");
    }
}
