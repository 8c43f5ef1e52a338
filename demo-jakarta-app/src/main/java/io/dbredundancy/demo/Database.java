package io.dbredundancy.demo;

import io.dbredundancy.hibernate.Redundancy;
import io.dbredundancy.hibernate.RedundancySettings;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.Persistence;
import jakarta.transaction.Status;
import jakarta.transaction.UserTransaction;

import javax.naming.InitialContext;
import javax.naming.NamingException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * The app's persistence unit and its transactions.
 *
 * <p>On a full Jakarta EE server the container builds the JTA unit {@code demo-jta} (container DataSources,
 * {@code hibernate.redundancy.primary.jndi}/{@code secondary.jndi}) and the app finds it under
 * {@code java:comp/env/persistence/demo-jta} (declared in web.xml); transactions are the server's
 * {@code UserTransaction}. Elsewhere (the embedded runtime of ./demo.sh) the app builds the RESOURCE_LOCAL unit
 * {@code demo} itself, with the database URLs from the environment or system properties ({@code DATABASE_URL},
 * {@code DATABASE_URL_SECONDARY}, and the other variables of the contract). Either way every transaction gets a
 * new EntityManager, so every transaction is routed to the database that serves at its start.
 */
@ApplicationScoped
public class Database {

    static final Logger LOG = Logger.getLogger("io.dbredundancy.demo");
    /** JNDI name of the container-managed unit (web.xml persistence-unit-ref). */
    static final String JTA_UNIT_REF = "java:comp/env/persistence/demo-jta";

    private EntityManagerFactory emf;
    private boolean containerManaged;
    private volatile Redundancy redundancy;

    public synchronized EntityManagerFactory emf() {
        if (emf == null) {
            open();
        }
        return emf;
    }

    public boolean containerManaged() {
        emf();
        return containerManaged;
    }

    /** The plugin's handle of this unit. */
    public Redundancy redundancy() {
        Redundancy r = redundancy;
        if (r == null) {
            r = Redundancy.of(emf());
            redundancy = r;
        }
        return r;
    }

    private void open() {
        EntityManagerFactory container = lookupContainerUnit();
        if (container != null) {
            emf = container;
            containerManaged = true;
            LOG.info("[Demo] using the container's JTA persistence unit demo-jta");
            return;
        }
        emf = Persistence.createEntityManagerFactory("demo", overrides());
        LOG.info("[Demo] persistence unit demo started (RESOURCE_LOCAL)");
    }

    /** System properties named like the contract's environment variables (handy for an in-process launcher). */
    static Map<String, Object> overrides() {
        Map<String, Object> map = new HashMap<>();
        putIfSet(map, RedundancySettings.PRIMARY_URL, "DATABASE_URL");
        putIfSet(map, RedundancySettings.SECONDARY_URL, "DATABASE_URL_SECONDARY");
        putIfSet(map, RedundancySettings.HEALTH_INTERVAL_MS, "DB_HEALTH_CHECK_INTERVAL");
        putIfSet(map, RedundancySettings.HEALTH_TIMEOUT_MS, "DB_CONNECTION_TIMEOUT");
        putIfSet(map, RedundancySettings.HEALTH_FAILURE_THRESHOLD, "DB_FAILURE_THRESHOLD");
        putIfSet(map, RedundancySettings.HEALTH_FAILBACK_THRESHOLD, "DB_FAILBACK_THRESHOLD");
        putIfSet(map, RedundancySettings.HEALTH_PRIMARY_RETRY_INTERVAL_MS, "DB_PRIMARY_RETRY_INTERVAL");
        putIfSet(map, RedundancySettings.MIRROR_MODE, "DB_MIRROR_MODE");
        putIfSet(map, RedundancySettings.SYNC_INTERVAL_MS, "DB_SYNC_INTERVAL");
        // explicit hibernate.redundancy.* system properties (e.g. failback=manual) pass through as they are
        System.getProperties().forEach((k, v) -> {
            if (k.toString().startsWith(RedundancySettings.PREFIX)) {
                map.put(k.toString(), v);
            }
        });
        return map;
    }

    /** Waits (bounded) until the relay has applied every journal entry, so the standby has every commit. */
    private void drainRelay(Duration max) {
        long start = System.nanoTime();
        long deadline = start + max.toNanos();
        long pending = -1;
        try {
            while ((pending = redundancy().status().mirror().pending()) > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        } catch (RuntimeException e) {
            LOG.info("[Demo] relay drain skipped: " + e.getMessage());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long ms = Duration.ofNanos(System.nanoTime() - start).toMillis();
        LOG.info(pending <= 0 ? "[Demo] relay drained in " + ms + " ms"
                : "[Demo] relay drain gave up after " + ms + " ms with " + pending + " entries pending (kept in the journal)");
    }

    private static void putIfSet(Map<String, Object> map, String property, String variable) {
        String value = System.getProperty(variable);
        if (value != null && !value.isBlank()) {
            map.put(property, value);
        }
    }

    private static EntityManagerFactory lookupContainerUnit() {
        try {
            return (EntityManagerFactory) new InitialContext().lookup(JTA_UNIT_REF);
        } catch (NamingException | RuntimeException | NoClassDefFoundError e) {
            return null;
        }
    }

    /** Runs {@code work} in one transaction on a new EntityManager (so on the database serving now). */
    public <T> T inTransaction(Function<EntityManager, T> work) {
        EntityManagerFactory factory = emf();
        return containerManaged ? inJta(factory, work) : inResourceLocal(factory, work);
    }

    private static <T> T inResourceLocal(EntityManagerFactory factory, Function<EntityManager, T> work) {
        EntityManager em = factory.createEntityManager();
        try {
            em.getTransaction().begin();
            T result = work.apply(em);
            em.getTransaction().commit();
            return result;
        } catch (RuntimeException e) {
            if (em.getTransaction().isActive()) {
                try {
                    em.getTransaction().rollback();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        } finally {
            em.close();
        }
    }

    private static <T> T inJta(EntityManagerFactory factory, Function<EntityManager, T> work) {
        UserTransaction tx;
        try {
            tx = (UserTransaction) new InitialContext().lookup("java:comp/UserTransaction");
        } catch (NamingException e) {
            throw new IllegalStateException("No UserTransaction in java:comp/UserTransaction", e);
        }
        EntityManager em = null;
        try {
            tx.begin();
            em = factory.createEntityManager();
            em.joinTransaction();
            T result = work.apply(em);
            tx.commit();
            return result;
        } catch (RuntimeException e) {
            rollback(tx, e);
            throw e;
        } catch (Exception e) {
            rollback(tx, e);
            throw new IllegalStateException("Transaction failed: " + e.getMessage(), e);
        } finally {
            if (em != null) {
                em.close();
            }
        }
    }

    private static void rollback(UserTransaction tx, Exception cause) {
        try {
            if (tx.getStatus() != Status.STATUS_NO_TRANSACTION) {
                tx.rollback();
            }
        } catch (Exception suppressed) {
            cause.addSuppressed(suppressed);
        }
    }

    /** Closes the unit the app built (a container closes its own). */
    @PreDestroy
    public synchronized void close() {
        if (emf != null && !containerManaged && emf.isOpen()) {
            drainRelay(Duration.ofSeconds(5));
            emf.close();
            LOG.info("[Demo] persistence unit closed: pools closed");
        }
        emf = null;
    }
}
