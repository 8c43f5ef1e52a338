package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.RedundancySettings;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import io.dbredundancy.hibernate.testbed.PersistenceUnit;

/**
 * One application instance of {@link StartTogetherTest}, in a child JVM: boots a unit with the mirror and a schema
 * changelog (so four Liquibase updates: the library's tables and the changelog, on both databases), runs one query and
 * prints {@code SERVING <name> <millis>}, then exits. Arguments: name primaryUrl secondaryUrl primaryUser primaryPassword secondaryUser
 * secondaryPassword changelog.
 */
public final class StartTogetherApp {

    public static void main(String[] a) throws Exception {
        String name = a[0];
        PersistenceUnit cfg = new PersistenceUnit("together-" + name)
                .managedClass(Note.class)
                .property("hibernate.multi_tenant_connection_provider", RedundantConnectionProvider.class.getName())
                .property("hibernate.tenant_identifier_resolver", ActiveNodeResolver.class.getName())
                .property(RedundancySettings.PRIMARY_URL, a[1])
                .property(RedundancySettings.SECONDARY_URL, a[2])
                .property(RedundancySettings.PRIMARY_USER, a[3])
                .property(RedundancySettings.PRIMARY_PASSWORD, a[4])
                .property(RedundancySettings.SECONDARY_USER, a[5])
                .property(RedundancySettings.SECONDARY_PASSWORD, a[6])
                .property(RedundancySettings.SCHEMA_CHANGELOG, a[7])
                .property(RedundancySettings.POOL_MAX_SIZE, "2")
                .property("hibernate.redundancy.health.timeout_ms", "1000")
                .property("hibernate.hbm2ddl.auto", "none");
        EntityManagerFactory emf = cfg.createEntityManagerFactory();
        EntityManager em = emf.createEntityManager();
        try {
            Object n = em.createNativeQuery("select count(*) from wiring_item").getSingleResult();
            System.out.println("SERVING " + name + " " + System.currentTimeMillis() + " rows " + n);
            System.out.flush();
        } finally {
            em.close();
            emf.close();
        }
        System.exit(0);
    }
}
