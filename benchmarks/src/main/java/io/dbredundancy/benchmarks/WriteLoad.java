package io.dbredundancy.benchmarks;

import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * N application threads, each running short JPA transactions in a loop: a write (persist one
 * {@link DrillEvent}) or a read ({@code find} by a random seeded id). A failed transaction is rolled back and
 * retried after 5 ms, the way an application with a simple retry would.
 */
final class WriteLoad implements AutoCloseable {

    enum Kind { WRITE, READ }

    /** One committed transaction: when it returned and which server port took it (0 when not asked). */
    record Commit(long nanos, int port) {
    }

    private final EntityManagerFactory emf;
    private final Kind kind;
    private final boolean detectPort;
    private final int seedRows;
    private final List<Thread> threads = new ArrayList<>();
    private final ConcurrentLinkedQueue<Commit> commits = new ConcurrentLinkedQueue<>();
    private final AtomicLong committed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong longestNanos = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicLongArray inFlightSince;
    private volatile boolean stop;
    private volatile boolean paused;

    WriteLoad(EntityManagerFactory emf, int threadCount, Kind kind, boolean detectPort, int seedRows, String name) {
        this.emf = emf;
        this.kind = kind;
        this.detectPort = detectPort;
        this.seedRows = seedRows;
        this.inFlightSince = new java.util.concurrent.atomic.AtomicLongArray(threadCount);
        for (int i = 0; i < threadCount; i++) {
            int worker = i;
            Thread t = new Thread(() -> run(worker), "drill-" + name + "-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
    }

    private void run(int worker) {
        long n = 0;
        while (!stop) {
            if (paused) {
                sleep(1);
                continue;
            }
            long start = System.nanoTime();
            inFlightSince.set(worker, start);
            EntityManager em = null;
            try {
                em = emf.createEntityManager();
                em.getTransaction().begin();
                int port = 0;
                if (kind == Kind.WRITE) {
                    em.persist(new DrillEvent(worker, n++));
                } else {
                    em.find(DrillEvent.class, 1L + ThreadLocalRandom.current().nextInt(seedRows));
                }
                if (detectPort) {
                    port = ((Number) em.createNativeQuery("select inet_server_port()").getSingleResult()).intValue();
                }
                em.getTransaction().commit();
                long end = System.nanoTime();
                committed.incrementAndGet();
                if (detectPort) {
                    commits.add(new Commit(end, port));
                }
                longestNanos.accumulateAndGet(end - start, Math::max);
            } catch (RuntimeException e) {
                failed.incrementAndGet();
                longestNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
                rollbackQuietly(em);
                sleep(5);
            } finally {
                inFlightSince.set(worker, 0);
                closeQuietly(em);
            }
        }
    }

    long committed() {
        return committed.get();
    }

    long failed() {
        return failed.get();
    }

    /** Forgets the longest attempt so far (call at the fault: attempts in flight then count in full). */
    void resetLongest() {
        longestNanos.set(0);
    }

    /**
     * Longest single transaction attempt (committed or failed) that ended since {@link #resetLongest()}, or that
     * is still blocked, in ms.
     */
    long longestMs() {
        long now = System.nanoTime();
        long longest = longestNanos.get();
        for (int i = 0; i < inFlightSince.length(); i++) {
            long since = inFlightSince.get(i);
            if (since != 0) {
                longest = Math.max(longest, now - since); // still blocked
            }
        }
        return longest / 1_000_000;
    }

    long commitsOn(int port) {
        return commits.stream().filter(c -> c.port() == port).count();
    }

    /** Completion time of the first commit on {@code port} that returned after {@code afterNanos}. */
    Optional<Long> firstCommitOn(int port, long afterNanos) {
        return commits.stream().filter(c -> c.port() == port && c.nanos() > afterNanos)
                .map(Commit::nanos).min(Long::compare);
    }

    /** Threads finish their transaction and wait; {@link #resume()} lets them go on. */
    void pause() {
        paused = true;
    }

    void resume() {
        paused = false;
    }

    void requestStop() {
        stop = true;
    }

    /** Stops the threads; true when all of them finished within {@code wait}. */
    boolean stopAndJoin(Duration wait) {
        stop = true;
        long deadline = System.nanoTime() + wait.toNanos();
        for (Thread t : threads) {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                try {
                    t.join(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return threads.stream().noneMatch(Thread::isAlive);
    }

    @Override
    public void close() {
        stopAndJoin(Duration.ofSeconds(30));
    }

    private static void rollbackQuietly(EntityManager em) {
        try {
            if (em != null && em.isOpen() && em.getTransaction().isActive()) {
                em.getTransaction().rollback();
            }
        } catch (RuntimeException ignored) {
            // the connection is gone anyway
        }
    }

    private static void closeQuietly(EntityManager em) {
        try {
            if (em != null && em.isOpen()) {
                em.close();
            }
        } catch (RuntimeException ignored) {
            // nothing more to do
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
