package io.dbredundancy.hibernate.routing;

import jakarta.persistence.EntityManagerFactory;
import org.hibernate.engine.spi.SessionFactoryImplementor;

import java.util.Objects;

/**
 * Internal: finds the runtime of a unit. {@code Redundancy.of} wraps it for users; the plugin's own features, its tests
 * and the benchmarks reach the internals (pools, monitor, state) here, not through the public facade.
 */
public final class RuntimeLookup {

    private RuntimeLookup() {
    }

    /** The runtime of {@code sf}, or null when it does not use {@link RedundantConnectionProvider}. */
    public static RedundancyRuntime of(SessionFactoryImplementor sf) {
        RedundantConnectionProvider p = RedundancyIntegrator.provider(sf);
        return p == null ? null : p.runtime();
    }

    /**
     * The runtime of the unit behind {@code emf} (a Hibernate {@code SessionFactory} works too).
     *
     * @throws IllegalArgumentException when the unit is not configured with {@code RedundantConnectionProvider}
     *                                  or is closed
     */
    public static RedundancyRuntime require(EntityManagerFactory emf) {
        Objects.requireNonNull(emf, "emf");
        SessionFactoryImplementor sf;
        try {
            sf = emf.unwrap(SessionFactoryImplementor.class);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("[DB-Redundancy] not a Hibernate EntityManagerFactory: " + emf, e);
        }
        RedundancyRuntime rt = of(sf);
        if (rt == null) {
            throw new IllegalArgumentException("[DB-Redundancy] the persistence unit '" + sf.getName() + "' does not use"
                    + " io.dbredundancy.hibernate.routing.RedundantConnectionProvider (or it is closed); set"
                    + " hibernate.multi_tenant_connection_provider");
        }
        return rt;
    }
}
