package io.dbredundancy.benchmarks.mirror;

import jakarta.persistence.EntityManagerFactory;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * One slice of load: N writer threads running a {@link Workload} for a while, at full speed or capped at a total
 * rate; committed transactions, failed iterations and the writers' own CPU time.
 */
final class WriterLoad {

    /**
     * What the slice did; {@code seconds} is the load window (threads started to stop signal), {@code atDeadline} what
     * the caller's probe read at its end (before the writers finished their iteration in flight).
     */
    record Result(long committed, long failed, double seconds, long writerCpuNanos, String firstError, long atDeadline) {
        double txPerSecond() {
            return committed / seconds;
        }
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private WriterLoad() {
    }

    /**
     * Runs {@code workload} on {@code threads} threads for {@code seconds}; {@code rate} > 0 caps the total at that
     * many transactions per second (each thread paced to its share), 0 runs at full speed. {@code atDeadline} is read
     * when the time is up. Returns once the writers have finished their iteration in flight.
     */
    static Result run(EntityManagerFactory emf, Workload workload, int threads, double seconds, double rate, long seed,
                      LongSupplier atDeadline) throws InterruptedException {
        LongAdder committed = new LongAdder();
        LongAdder failed = new LongAdder();
        LongAdder cpu = new LongAdder();
        AtomicReference<String> firstError = new AtomicReference<>();
        long intervalNanos = rate > 0 ? (long) (1e9 * threads * Workload.TX_PER_ITERATION / rate) : 0;
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Random random = new Random(seed * 1_000_003L + t);
            Thread w = new Thread(() -> {
                long next = System.nanoTime() + (intervalNanos > 0 ? random.nextLong(intervalNanos) : 0); // spread the starts
                try {
                    while (System.nanoTime() < deadline) {
                        if (intervalNanos > 0) {
                            long sleep = next - System.nanoTime();
                            if (sleep > 0) {
                                Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                            }
                            next += intervalNanos;
                        }
                        if (System.nanoTime() >= deadline) {
                            break;
                        }
                        try {
                            workload.iterate(emf, random, committed);
                        } catch (RuntimeException e) {
                            failed.increment();
                            firstError.compareAndSet(null, String.valueOf(e));
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    cpu.add(THREADS.getCurrentThreadCpuTime());
                }
            }, "bench-writer-" + t);
            writers.add(w);
        }
        writers.forEach(Thread::start);
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
        }
        long n = committed.sum();
        double elapsed = (System.nanoTime() - start) / 1e9;
        long probe = atDeadline.getAsLong();
        for (Thread w : writers) {
            w.join(60_000);
        }
        return new Result(n, failed.sum(), elapsed, cpu.sum(), firstError.get(), probe);
    }
}
