package io.dbredundancy.hibernate;

import io.dbredundancy.hibernate.health.SwitchEvent;
import io.dbredundancy.hibernate.health.SwitchListener;
import io.dbredundancy.hibernate.routing.RedundancyRuntime;
import io.dbredundancy.hibernate.routing.RuntimeLookup;
import io.dbredundancy.hibernate.status.RedundancyStatus;
import jakarta.persistence.EntityManagerFactory;
import org.hibernate.engine.spi.SessionFactoryImplementor;

import java.util.Objects;

/**
 * The handle of one persistence unit's redundancy: its status, manual failover and failback, switch listeners.
 *
 * <pre>{@code
 * Redundancy r = Redundancy.of(emf);
 * System.out.println(r.status().toJson());
 * r.failover();
 * }</pre>
 */
public final class Redundancy {

    private final RedundancyRuntime runtime;

    private Redundancy(RedundancyRuntime runtime) {
        this.runtime = runtime;
    }

    /**
     * The handle of the unit behind {@code emf} (a Hibernate {@code SessionFactory} works too).
     *
     * @throws IllegalArgumentException when the unit is not configured with {@code RedundantConnectionProvider}
     *                                  or is closed
     */
    public static Redundancy of(EntityManagerFactory emf) {
        Objects.requireNonNull(emf, "emf");
        SessionFactoryImplementor sf;
        try {
            sf = emf.unwrap(SessionFactoryImplementor.class);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("[DB-Redundancy] not a Hibernate EntityManagerFactory: " + emf, e);
        }
        RedundancyRuntime rt = RuntimeLookup.of(sf);
        if (rt == null) {
            throw new IllegalArgumentException("[DB-Redundancy] the persistence unit '" + sf.getName() + "' does not use"
                    + " io.dbredundancy.hibernate.routing.RedundantConnectionProvider (or it is closed); set"
                    + " hibernate.multi_tenant_connection_provider");
        }
        return new Redundancy(rt);
    }

    /** An immutable snapshot of the unit's state; {@code status().toJson()} is the health document. */
    public RedundancyStatus status() {
        return runtime.status();
    }

    /**
     * Switches new sessions to the secondary now, whatever the probes say, and holds them there until
     * {@link #failback()} (or until the secondary fails).
     *
     * @return the switch, or null when the secondary already serves
     * @throws IllegalStateException when no secondary is configured or the secondary is down (the message says which)
     */
    public SwitchEvent failover() {
        return runtime.failover();
    }

    /**
     * Switches new sessions back to the primary now.
     *
     * @return the switch, or null when the primary already serves
     * @throws IllegalStateException when the primary is down, or the mirror has not drained back yet
     */
    public SwitchEvent failback() {
        return runtime.failback();
    }

    /** Calls {@code listener} at every switch of the active node, on the unit's health thread. */
    public void addListener(SwitchListener listener) {
        runtime.addListener(listener);
    }

    public void removeListener(SwitchListener listener) {
        runtime.removeListener(listener);
    }

    /** SPI for the plugin's own features (mirror, sync, metrics) and integrations: pools, monitor, scheduler. */
    public RedundancyRuntime runtime() {
        return runtime;
    }

    @Override
    public String toString() {
        return "Redundancy[" + runtime.unit() + "]";
    }
}
