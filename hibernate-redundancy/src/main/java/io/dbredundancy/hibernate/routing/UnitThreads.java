package io.dbredundancy.hibernate.routing;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The daemon threads of a unit besides its health thread: workers ({@code db-redundancy-worker-<unit>-N}) for longer
 * background work, and probe threads ({@code db-redundancy-probe-<unit>-N}, at most 16) for the health monitor.
 */
final class UnitThreads {

    final ExecutorService workers;
    final ThreadPoolExecutor probes;

    UnitThreads(String unit) {
        this.workers = Executors.newCachedThreadPool(daemon("db-redundancy-worker-" + unit));
        this.probes = new ThreadPoolExecutor(0, 16, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                daemon("db-redundancy-probe-" + unit));
    }

    /** Lets queued work finish on the workers, stops the probes. */
    void shutdown() {
        workers.shutdown();
        probes.shutdownNow();
    }

    void shutdownNow() {
        workers.shutdownNow();
        probes.shutdownNow();
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
