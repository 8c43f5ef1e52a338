package io.dbredundancy.hibernate.routing;

import jakarta.persistence.EntityManagerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** N threads of JPA writes, each in its own EntityManager; records every attempt. */
final class WriteLoad implements AutoCloseable {

    /** One transaction attempt: when it ran, which node took it (null when it failed) and the error. */
    record Attempt(String writer, long startNanos, long endNanos, String node, String error) {
        long millis() {
            return (endNanos - startNanos) / 1_000_000;
        }
    }

    final List<Attempt> attempts = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stop;

    WriteLoad(EntityManagerFactory emf, String label, int threadCount) {
        for (int i = 0; i < threadCount; i++) {
            String writer = label + "-" + i;
            Thread t = new Thread(() -> {
                long seq = 0;
                while (!stop) {
                    long start = System.nanoTime();
                    try {
                        String node = Jpa.write(emf, writer, seq++);
                        attempts.add(new Attempt(writer, start, System.nanoTime(), node, null));
                    } catch (RuntimeException e) {
                        attempts.add(new Attempt(writer, start, System.nanoTime(), null, String.valueOf(e)));
                        sleep(20);
                    }
                }
            }, "test-writer-" + writer);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until an attempt matching {@code p} exists; returns it, or null after {@code timeoutMs}. */
    Attempt await(Predicate<Attempt> p, long timeoutMs) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < end) {
            for (Attempt a : attempts) {
                if (p.test(a)) {
                    return a;
                }
            }
            sleep(10);
        }
        return null;
    }

    long commitsOn(String node) {
        return attempts.stream().filter(a -> node.equals(a.node())).count();
    }

    /** Stops the writers; returns the names of threads still running after {@code timeoutMs} (blocked ones). */
    List<String> stop(long timeoutMs) {
        stop = true;
        long end = System.currentTimeMillis() + timeoutMs;
        List<String> stuck = new ArrayList<>();
        for (Thread t : threads) {
            try {
                t.join(Math.max(1, end - System.currentTimeMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive()) {
                stuck.add(t.getName());
            }
        }
        return stuck;
    }

    @Override
    public void close() {
        stop(5000);
    }
}
