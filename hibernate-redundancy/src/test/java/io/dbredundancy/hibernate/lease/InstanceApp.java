package io.dbredundancy.hibernate.lease;

import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.RedundancySettings;
import io.dbredundancy.hibernate.routing.ActiveNodeResolver;
import io.dbredundancy.hibernate.routing.RedundantConnectionProvider;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import io.dbredundancy.hibernate.testbed.PersistenceUnit;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One application instance of {@link MultiInstanceTest}, in a child JVM: writes a {@link Ping} every 20 ms and prints
 * {@code ACK <id> <millis>} after each commit, {@code FAIL <millis> <error>} after each failure, {@code SWITCH <kind>
 * <to> <epoch> <millis>} on every switch of its unit. Commands on standard input: {@code failover}, {@code failback},
 * {@code quit} (stops writing, prints {@code ACKED n} and exits). Arguments: name primaryUrl user password
 * secondaryUrl user password.
 */
public final class InstanceApp {

    public static void main(String[] a) throws Exception {
        String name = a[0];
        PersistenceUnit cfg = new PersistenceUnit("instance-" + name)
                .managedClasses(Ping.class)
                .property("hibernate.multi_tenant_connection_provider", RedundantConnectionProvider.class.getName())
                .property("hibernate.tenant_identifier_resolver", ActiveNodeResolver.class.getName())
                .property(RedundancySettings.PRIMARY_URL, a[1])
                .property(RedundancySettings.PRIMARY_USER, a[2])
                .property(RedundancySettings.PRIMARY_PASSWORD, a[3])
                .property(RedundancySettings.SECONDARY_URL, a[4])
                .property(RedundancySettings.SECONDARY_USER, a[5])
                .property(RedundancySettings.SECONDARY_PASSWORD, a[6])
                .property(RedundancySettings.POOL_MAX_SIZE, "4")
                .property("hibernate.hbm2ddl.auto", "none");
        EntityManagerFactory emf = cfg.createEntityManagerFactory();
        Redundancy r = Redundancy.of(emf);
        r.addListener(e -> out("SWITCH " + e.kind() + " " + e.to() + " " + e.epoch() + " " + System.currentTimeMillis()));
        AtomicBoolean stop = new AtomicBoolean();
        long[] acked = new long[1];
        Thread writer = new Thread(() -> {
            long seq = 0;
            while (!stop.get()) {
                UUID id = UUID.randomUUID();
                EntityManager em = emf.createEntityManager();
                try {
                    em.getTransaction().begin();
                    em.persist(new Ping(id, name, seq++));
                    em.getTransaction().commit();
                    acked[0]++;
                    out("ACK " + id + " " + System.currentTimeMillis());
                } catch (RuntimeException e) {
                    String msg = String.valueOf(e.getMessage());
                    for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                        msg += " / " + c.getMessage();
                    }
                    out("FAIL " + System.currentTimeMillis() + " " + msg.replace('\n', ' '));
                    try {
                        if (em.getTransaction().isActive()) {
                            em.getTransaction().rollback();
                        }
                    } catch (RuntimeException ignored) {
                        // connection gone
                    }
                    sleep(100);
                } finally {
                    try {
                        em.close();
                    } catch (RuntimeException ignored) {
                        // connection gone
                    }
                }
                sleep(20);
            }
        }, "writer-" + name);
        writer.start();
        out("READY " + name + " " + r.status().activeDatabase());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String cmd;
        while ((cmd = in.readLine()) != null) {
            try {
                switch (cmd.trim()) {
                    case "failover" -> out("OK failover " + r.failover());
                    case "failback" -> out("OK failback " + r.failback());
                    case "quit" -> {
                        stop.set(true);
                        writer.join(10_000);
                        out("ACKED " + acked[0]);
                        emf.close();
                        System.exit(0);
                    }
                    default -> out("ERR unknown command " + cmd);
                }
            } catch (RuntimeException e) {
                out("ERR " + cmd + ": " + e.getMessage());
            }
        }
    }

    private static synchronized void out(String line) {
        System.out.println(line);
        System.out.flush();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
