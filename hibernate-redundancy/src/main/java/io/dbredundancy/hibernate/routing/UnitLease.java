package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.ActiveNode;
import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.SwitchEvent;
import io.dbredundancy.hibernate.health.HealthMonitor;
import io.dbredundancy.hibernate.health.HealthPolicy;
import io.dbredundancy.hibernate.health.HealthState;
import io.dbredundancy.hibernate.health.JdbcProber;
import io.dbredundancy.hibernate.health.NodeHealth;
import io.dbredundancy.hibernate.lease.Lease;
import io.dbredundancy.hibernate.lease.LeaseKeeper;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A unit's part in the lease of several instances: the {@link LeaseKeeper} (none without a secondary), the health
 * monitor adapted to it, the state at start that follows the databases' lease, a manual switch that returns once the
 * databases hold its lease, and a write refused by the fence, which makes the keeper read the leases at once.
 */
final class UnitLease implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.routing");

    private final LeaseKeeper keeper;
    private final AtomicLong lastFencedEpoch = new AtomicLong(-1);
    private Map<Node, Optional<Lease>> atStart = Map.of();
    private volatile HealthMonitor monitor;

    UnitLease(boolean redundancyEnabled, Map<Node, JdbcProber.Opener> openers, Executor workers, String unit,
              HealthPolicy policy) {
        if (redundancyEnabled) {
            Map<Node, LeaseKeeper.Opener> own = new EnumMap<>(Node.class);
            openers.forEach((n, o) -> own.put(n, o::open));
            keeper = new LeaseKeeper(own, workers, unit, policy.intervalMs(), policy.timeoutMs());
        } else {
            keeper = null;
        }
    }

    /** The state to start in: {@code checked} (the start check's), or the one the databases' lease names. */
    HealthState follow(HealthState checked, HealthPolicy policy) {
        if (keeper == null) {
            return checked;
        }
        Set<Node> up = EnumSet.noneOf(Node.class);
        for (Node n : Node.values()) {
            NodeHealth h = checked.health(n);
            if (h != null && h.up()) {
                up.add(n);
            }
        }
        atStart = keeper.readAtStart(up);
        return LeaseAtStart.follow(checked, atStart, policy);
    }

    /** Tells {@code monitor}, not running yet, the leases read at start. */
    void bind(HealthMonitor monitor) {
        this.monitor = monitor;
        atStart.forEach((n, l) -> monitor.observeLease(n, true, l.orElse(null)));
    }

    /** Starts the renewal; every switch the monitor publishes touches the leases at once. */
    void start() {
        if (keeper != null) {
            HealthMonitor m = monitor;
            m.addListener(e -> keeper.wake());
            keeper.start(instance(m));
        }
    }

    /** {@code switched} (a manual switch), once every reachable database holds its lease. */
    SwitchEvent written(SwitchEvent switched) {
        if (switched != null && keeper != null) {
            keeper.writeNow();
        }
        return switched;
    }

    /** A journal write on {@code node} was refused by the fence: read the leases now, so this instance follows. */
    void fenced(Node node) {
        long epoch = monitor.state().epoch();
        if (lastFencedEpoch.getAndSet(epoch) != epoch) {
            LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] a write on the " + node + " database was refused by"
                    + " its lease (this instance is in epoch " + epoch + "): another instance switched; following");
        }
        if (keeper != null) {
            keeper.wake();
        }
    }

    @Override
    public void close() {
        if (keeper != null) {
            keeper.close();
        }
    }

    /** The monitor as the keeper sees it: the state it serves in, its probes' view of a node, its health thread. */
    private static LeaseKeeper.Instance instance(HealthMonitor monitor) {
        return new LeaseKeeper.Instance() {
            @Override
            public LeaseKeeper.Serving serving() {
                HealthState s = monitor.state();
                return s.active() == ActiveNode.NONE ? null
                        : new LeaseKeeper.Serving(s.epoch(), s.active().node(), s.manualHold());
            }

            @Override
            public boolean connected(Node node) {
                NodeHealth h = monitor.state().health(node);
                return h != null && h.connected();
            }

            @Override
            public void observed(Node node, boolean supported, Lease lease) {
                monitor.observeLease(node, supported, lease);
            }

            @Override
            public void execute(Runnable task) {
                monitor.scheduler().execute(task);
            }

            @Override
            public LeaseKeeper.Scheduled schedule(Runnable task, long delayMs) {
                return monitor.scheduler().schedule(task, delayMs)::cancel;
            }
        };
    }
}
