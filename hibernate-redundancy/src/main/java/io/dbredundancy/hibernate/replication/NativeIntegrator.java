package io.dbredundancy.hibernate.replication;

import io.dbredundancy.hibernate.RedundancyConfig.MirrorMode;
import io.dbredundancy.hibernate.RedundancySettings;
import io.dbredundancy.hibernate.mirror.MirrorIntegrator;
import io.dbredundancy.hibernate.routing.RedundancyRuntime;
import org.hibernate.boot.Metadata;
import org.hibernate.boot.spi.BootstrapContext;
import org.hibernate.engine.jdbc.connections.spi.MultiTenantConnectionProvider;
import org.hibernate.engine.spi.SessionFactoryImplementor;
import org.hibernate.integrator.spi.Integrator;
import org.hibernate.service.spi.SessionFactoryServiceRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Starts {@code mirror.mode=native} on the application's SessionFactory when its provider is the plugin's and the unit
 * has a secondary: no capture listener, no relay; a {@link NativeRuntime} attached to the unit's core.
 */
public final class NativeIntegrator implements Integrator {

    private static final Map<SessionFactoryImplementor, NativeRuntime> RUNTIMES = new ConcurrentHashMap<>();

    @Override
    public void integrate(Metadata metadata, BootstrapContext bootstrapContext, SessionFactoryImplementor sf) {
        if (sf.getProperties().get(RedundancySettings.ROLE) != null) {
            return;
        }
        RedundancyRuntime core = core(sf);
        if (core == null || core.config().mirrorMode() != MirrorMode.NATIVE || !core.config().redundancyEnabled()) {
            return;
        }
        NativeRuntime runtime = new NativeRuntime(core, () -> MirrorIntegrator.sequenceGenerators(sf));
        runtime.start();
        RUNTIMES.put(sf, runtime);
    }

    /** The native mirror of the unit behind {@code sf}, or null. */
    public static NativeRuntime of(org.hibernate.SessionFactory sf) {
        return RUNTIMES.get(sf);
    }

    private static RedundancyRuntime core(SessionFactoryImplementor sf) {
        try {
            MultiTenantConnectionProvider<?> provider = sf.getServiceRegistry().getService(MultiTenantConnectionProvider.class);
            return provider != null && provider.isUnwrappableAs(RedundancyRuntime.class)
                    ? provider.unwrap(RedundancyRuntime.class) : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public void disintegrate(SessionFactoryImplementor sf, SessionFactoryServiceRegistry serviceRegistry) {
        NativeRuntime runtime = RUNTIMES.remove(sf);
        if (runtime != null) {
            runtime.close();
        }
    }
}
