package io.dbredundancy.hibernate.routing;

import org.hibernate.engine.spi.SessionFactoryImplementor;

/** SPI: finds the runtime of a SessionFactory (used by {@code Redundancy.of}). */
public final class RuntimeLookup {

    private RuntimeLookup() {
    }

    /** The runtime of {@code sf}, or null when it does not use {@link RedundantConnectionProvider}. */
    public static RedundancyRuntime of(SessionFactoryImplementor sf) {
        RedundantConnectionProvider p = RedundancyIntegrator.provider(sf);
        return p == null ? null : p.runtime();
    }
}
