package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.RedundancySettings;
import org.hibernate.boot.Metadata;
import org.hibernate.boot.spi.BootstrapContext;
import org.hibernate.engine.jdbc.connections.spi.MultiTenantConnectionProvider;
import org.hibernate.engine.spi.SessionFactoryImplementor;
import org.hibernate.integrator.spi.Integrator;
import org.hibernate.service.spi.SessionFactoryServiceRegistry;

/**
 * Hands the SessionFactory to the unit's {@link RedundancyRuntime} (for the second-level cache eviction on a switch
 * and for {@code Redundancy.of(emf)}) and binds {@link ActiveNodeResolver} to it. Does nothing on SessionFactories
 * that do not use {@link RedundantConnectionProvider} or that the plugin builds for itself
 * ({@link RedundancySettings#ROLE} set). Listed in {@code META-INF/services/org.hibernate.integrator.spi.Integrator}.
 */
public class RedundancyIntegrator implements Integrator {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.routing");

    @Override
    public void integrate(Metadata metadata, BootstrapContext bootstrapContext, SessionFactoryImplementor sf) {
        if (sf.getProperties().get(RedundancySettings.ROLE) != null) {
            return;
        }
        RedundantConnectionProvider provider = provider(sf);
        if (provider == null || provider.runtime() == null) {
            return;
        }
        RedundancyRuntime rt = provider.runtime();
        rt.bind(sf);
        Object resolver = sf.getCurrentTenantIdentifierResolver();
        if (resolver instanceof ActiveNodeResolver r) {
            r.bind(rt);
        } else if (resolver == null) {
            LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] hibernate.tenant_identifier_resolver is not set:"
                    + " set it to " + ActiveNodeResolver.class.getName() + " or every session needs a tenant id");
        }
    }

    /** The unit's provider, or null when the SessionFactory does not use it. */
    static RedundantConnectionProvider provider(SessionFactoryImplementor sf) {
        try {
            MultiTenantConnectionProvider<?> p = sf.getServiceRegistry().getService(MultiTenantConnectionProvider.class);
            return p instanceof RedundantConnectionProvider r ? r : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public void disintegrate(SessionFactoryImplementor sf, SessionFactoryServiceRegistry registry) {
        // the runtime stops with the provider (Stoppable)
    }
}
