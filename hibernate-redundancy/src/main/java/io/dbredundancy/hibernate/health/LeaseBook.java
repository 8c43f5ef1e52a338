package io.dbredundancy.hibernate.health;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.lease.Lease;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The monitor's lease bookkeeping: the lease each database held when this instance last read it, when it read it,
 * which databases keep a lease, and since when each node is up again. Written on the scheduler thread only;
 * {@link #known()} may be read from any thread.
 */
final class LeaseBook {

    private final Map<Node, Lease> leases = new ConcurrentHashMap<>();
    private final Map<Node, Long> readAt = new EnumMap<>(Node.class);
    private final Set<Node> supported = EnumSet.noneOf(Node.class);
    private final Map<Node, Long> upSince = new EnumMap<>(Node.class);

    /** {@code node}'s database was read at {@code readAtMs}: {@code lease} (null: no row), or no lease table. */
    void read(Node node, boolean hasTable, Lease lease, long readAtMs) {
        if (hasTable) {
            supported.add(node);
            readAt.put(node, readAtMs);
            if (lease == null) {
                leases.remove(node);
            } else {
                leases.put(node, lease);
            }
        } else {
            supported.remove(node);
            leases.remove(node);
        }
    }

    /** {@code node} came back up at {@code sinceMs} (its lease must be read again before it is taken). */
    void up(Node node, long sinceMs) {
        upSince.put(node, sinceMs);
    }

    /** The highest lease read from any database, or null. */
    Lease known() {
        return Lease.best(List.copyOf(leases.values()));
    }

    /** A snapshot for the switch rules. */
    Observations observations(long nowMs, Supplier<String> failbackGate) {
        return new Observations(nowMs, leases, readAt, supported, upSince, failbackGate);
    }
}
