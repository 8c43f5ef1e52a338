package io.dbredundancy.hibernate.health;

/**
 * Where the monitor's work runs: one thread per unit in production ({@link ThreadHealthScheduler}), a manual clock
 * in tests. Every state change happens on it, so the monitor has a single writer.
 */
public interface HealthScheduler extends AutoCloseable {

    /** A scheduled task that can be cancelled. */
    interface Task {
        void cancel();
    }

    /** Runs {@code task} on the scheduler after {@code delayMs}. */
    Task schedule(Runnable task, long delayMs);

    /** Runs {@code task} on the scheduler as soon as possible. */
    void execute(Runnable task);

    /** True when called from the scheduler's own thread. */
    boolean inScheduler();

    /** Stops the scheduler; pending tasks are dropped. */
    @Override
    void close();
}
