package io.dbredundancy.hibernate.metrics;

import io.dbredundancy.hibernate.testbed.PgServer;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import io.dbredundancy.hibernate.testbed.PersistenceUnit;

/** A persistence unit wired to the plugin on two real servers, as an application builds it. */
final class Units {

    private Units() {
    }

    static EntityManagerFactory emf(String name, PgServer primary, PgServer secondary) {
        return emf(name, primary.uri("postgres"), secondary.uri("postgres"));
    }

    static EntityManagerFactory emf(String name, String primaryUri, String secondaryUri) {
        PersistenceUnit cfg = new PersistenceUnit(name)
                .property("hibernate.multi_tenant_connection_provider",
                        "io.dbredundancy.hibernate.routing.RedundantConnectionProvider")
                .property("hibernate.tenant_identifier_resolver", "io.dbredundancy.hibernate.routing.ActiveNodeResolver")
                .property("hibernate.redundancy.primary.url", primaryUri)
                .property("hibernate.redundancy.secondary.url", secondaryUri)
                .property("hibernate.redundancy.pool.max_size", "4")
                .property("hibernate.redundancy.pool.min_idle", "1")
                .property("hibernate.generate_statistics", "true")
                .property("hibernate.hbm2ddl.auto", "none");
        return cfg.createEntityManagerFactory();
    }

    /** One query in one transaction; returns what the database answered. */
    static Object selectOne(EntityManagerFactory emf) {
        EntityManager em = emf.createEntityManager();
        try {
            em.getTransaction().begin();
            Object r = em.createNativeQuery("select 1").getSingleResult();
            em.getTransaction().commit();
            return r;
        } finally {
            em.close();
        }
    }
}
