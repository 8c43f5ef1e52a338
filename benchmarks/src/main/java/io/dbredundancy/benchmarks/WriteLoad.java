package io.dbredundancy.benchmarks;

import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

    /**
     * One committed transaction: when it returned, which server port took it (0 when not asked), when its attempt
     * began (EntityManager opened) and which worker ran it.
     */
    record Commit(long nanos, int port, long startNanos, int worker) {
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
    private final java.util.concurrent.atomic.AtomicLongArray committedBy;
    private final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.atomic.LongAdder> errorKinds =
            new java.util.concurrent.ConcurrentHashMap<>();
    private volatile long paceMs;
    private volatile boolean stop;
    private volatile boolean paused;

    WriteLoad(EntityManagerFactory emf, int threadCount, Kind kind, boolean detectPort, int seedRows, String name) {
        this.emf = emf;
        this.kind = kind;
        this.detectPort = detectPort;
        this.seedRows = seedRows;
        this.inFlightSince = new java.util.concurrent.atomic.AtomicLongArray(threadCount);
        this.committedBy = new java.util.concurrent.atomic.AtomicLongArray(threadCount);
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
                committedBy.incrementAndGet(worker);
                if (detectPort) {
                    commits.add(new Commit(end, port, start, worker));
                }
                longestNanos.accumulateAndGet(end - start, Math::max);
            } catch (RuntimeException e) {
                failed.incrementAndGet();
                countErrorKind(e, worker, n - 1);
                longestNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
                rollbackQuietly(em);
                sleep(5);
            } finally {
                inFlightSince.set(worker, 0);
                closeQuietly(em);
            }
            long pace = paceMs;
            if (pace > 0) {
                sleep(pace);
            }
        }
    }

    /** Errors by the innermost cause's class and first words (bounded: at most 40 kinds, the rest as "other"). */
    /** A failed attempt kept for diagnosis: worker, its counter {@code n}, wall-clock time, innermost message. */
    record ErrorSample(int worker, long n, java.time.Instant at, String message) {
    }

    private final ConcurrentLinkedQueue<ErrorSample> duplicateKeys = new ConcurrentLinkedQueue<>();

    /** The first failed attempts with SQLState 23505 (duplicate key), at most 10. */
    List<ErrorSample> duplicateKeySamples() {
        return List.copyOf(duplicateKeys);
    }

    private void countErrorKind(RuntimeException e, int worker, long n) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String msg = String.valueOf(root.getMessage()).replaceAll("[0-9]+", "N");
        int cut = msg.indexOf('\n');
        msg = msg.substring(0, Math.min(cut < 0 ? msg.length() : cut, 100));
        String state = root instanceof java.sql.SQLException sql && sql.getSQLState() != null ? " [" + sql.getSQLState() + "]" : "";
        String key = root.getClass().getSimpleName() + state + ": " + msg;
        if (state.equals(" [23505]") && duplicateKeys.size() < 10) {
            duplicateKeys.add(new ErrorSample(worker, n, java.time.Instant.now(), String.valueOf(root.getMessage())));
        }
        if (errorKinds.size() >= 40 && !errorKinds.containsKey(key)) {
            key = "other";
        }
        errorKinds.computeIfAbsent(key, k -> new java.util.concurrent.atomic.LongAdder()).increment();
    }

    /** Failed attempts by kind (innermost cause), most frequent first. */
    List<Map.Entry<String, Long>> errorKinds() {
        return errorKinds.entrySet().stream()
                .map(en -> Map.entry(en.getKey(), en.getValue().sum()))
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .toList();
    }

    /** Each thread sleeps this long between two transactions (0: none). */
    void pace(long ms) {
        this.paceMs = ms;
    }

    /** Commits of each worker so far. */
    long[] committedByWorker() {
        long[] out = new long[committedBy.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = committedBy.get(i);
        }
        return out;
    }

    /** How long worker {@code i}'s current transaction attempt has been running, in ms (0 between attempts). */
    long inFlightMs(int i) {
        long since = inFlightSince.get(i);
        return since == 0 ? 0 : (System.nanoTime() - since) / 1_000_000;
    }

    List<Thread> threads() {
        return List.copyOf(threads);
    }

    /** Forgets the recorded commits (port detection). */
    void clearCommits() {
        commits.clear();
    }

    /** The recorded commits on {@code port} that returned after {@code afterNanos}, oldest first. */
    List<Commit> commitsOn(int port, long afterNanos) {
        return commits.stream().filter(c -> c.port() == port && c.nanos() > afterNanos)
                .sorted(java.util.Comparator.comparingLong(Commit::nanos)).toList();
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
