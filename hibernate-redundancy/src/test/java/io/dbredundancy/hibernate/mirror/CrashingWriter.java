package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.RedundancySettings;
import io.dbredundancy.hibernate.mirror.model.Note;
import io.dbredundancy.hibernate.routing.ActiveNodeResolver;
import io.dbredundancy.hibernate.routing.RedundantConnectionProvider;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import io.dbredundancy.hibernate.testbed.PersistenceUnit;

/**
 * The application of {@link MirrorCrashTest}, run in a child JVM: commits {@code count} notes, prints
 * {@code COMMITTED i} after each commit and {@code DONE} at the end, then waits to be killed.
 * Arguments: primaryUrl user password secondaryUrl user password count.
 */
public final class CrashingWriter {

    public static void main(String[] a) throws Exception {
        PersistenceUnit cfg = new PersistenceUnit("crashing-writer")
                .managedClasses(MirrorFixture.MODEL)
                .property("hibernate.multi_tenant_connection_provider", RedundantConnectionProvider.class.getName())
                .property("hibernate.tenant_identifier_resolver", ActiveNodeResolver.class.getName())
                .property(RedundancySettings.PRIMARY_URL, a[0])
                .property(RedundancySettings.PRIMARY_USER, a[1])
                .property(RedundancySettings.PRIMARY_PASSWORD, a[2])
                .property(RedundancySettings.SECONDARY_URL, a[3])
                .property(RedundancySettings.SECONDARY_USER, a[4])
                .property(RedundancySettings.SECONDARY_PASSWORD, a[5]);
        int count = Integer.parseInt(a[6]);
        EntityManagerFactory emf = cfg.createEntityManagerFactory();
        for (int i = 0; i < count; i++) {
            EntityManager em = emf.createEntityManager();
            em.getTransaction().begin();
            em.persist(new Note("crash " + i));
            em.getTransaction().commit();
            em.close();
            System.out.println("COMMITTED " + i);
        }
        System.out.println("DONE");
        System.out.flush();
        Thread.sleep(600_000);
    }
}
