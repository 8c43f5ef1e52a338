package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.ActiveNode;
import io.dbredundancy.hibernate.SwitchEvent;
import org.hibernate.engine.spi.SessionFactoryImplementor;

/**
 * The unit's SessionFactory once built ({@link RedundancyIntegrator} binds it), and the eviction of its second-level
 * cache at every switch to a node: entries read from the old node may be older than what the new one holds.
 */
final class CacheEviction {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.routing");

    private volatile SessionFactoryImplementor sessionFactory;

    void bind(SessionFactoryImplementor sf) {
        this.sessionFactory = sf;
    }

    void switched(SwitchEvent e) {
        SessionFactoryImplementor sf = sessionFactory;
        if (sf != null && e.to() != ActiveNode.NONE) {
            try {
                sf.getCache().evictAll();
            } catch (RuntimeException ex) {
                LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] second-level cache eviction failed: " + ex);
            }
        }
    }
}
