package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.DatabaseUrl;
import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.SwitchEvent;
import io.dbredundancy.hibernate.health.HealthState;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * The switch gate: the {@link SwitchPreparer}s of a switch run on a worker right after it, and new
 * sessions on the node it went to wait for them, up to {@code waitMs}.
 */
final class SwitchGate {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.routing");

    /** The preparation of the switch to {@code node} in {@code epoch}. */
    private record Gate(Node node, long epoch, CompletableFuture<Void> done) {
    }

    private final List<SwitchPreparer> preparers = new CopyOnWriteArrayList<>();
    private final long waitMs;
    private final Clock clock;
    private volatile Gate gate;

    SwitchGate(long waitMs, Clock clock) {
        this.waitMs = waitMs;
        this.clock = clock;
    }

    void add(SwitchPreparer preparer) {
        preparers.add(preparer);
    }

    /** Starts the preparers of {@code e} on {@code workers}; sessions on its node wait for them from now. */
    void switched(SwitchEvent e, Executor workers) {
        Node to = e.to().node();
        if (to == null || preparers.isEmpty()) {
            return;
        }
        List<SwitchPreparer> work = List.copyOf(preparers);
        gate = new Gate(to, e.epoch(), CompletableFuture.runAsync(() -> {
            for (SwitchPreparer p : work) {
                try {
                    p.prepare(e);
                } catch (Exception ex) {
                    LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] preparing the switch to the " + to
                            + " failed: " + DatabaseUrl.mask(String.valueOf(ex)));
                }
            }
        }, workers));
    }

    /**
     * Waits (bounded) until the preparers of the switch that made {@code node} active are done. The gate is set by
     * the first switch listener, a moment after the state changed: a session that sees the new state first waits
     * that moment for it.
     */
    void awaitPrepared(Node node, HealthState s) {
        if (preparers.isEmpty() || s.active().node() != node) {
            return;
        }
        Gate g = gate;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        while ((g == null || g.epoch() < s.epoch()) && s.epoch() > 0
                && clock.millis() - s.lastSwitch().toEpochMilli() < 100) {
            if (System.nanoTime() - deadline >= 0) {
                return;
            }
            LockSupport.parkNanos(500_000); // the gate is set a moment after the switch
            g = gate;
        }
        if (g == null || g.node() != node || g.done().isDone()) {
            return;
        }
        try {
            g.done().get(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] the switch to the " + node + " is still being"
                    + " prepared after " + waitMs + " ms; sessions go on");
        } catch (ExecutionException e) {
            // logged by the preparer
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
