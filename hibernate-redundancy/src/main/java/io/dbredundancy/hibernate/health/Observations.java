package io.dbredundancy.hibernate.health;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.lease.Lease;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * What the switch rules know besides the health state: the lease each database held when this instance last read it,
 * when it read it, which databases keep a lease at all, since when each node is up again, and the failback gate. An
 * immutable snapshot, so {@link SwitchRules#decide} is a function of its arguments (the gate is asked only when a
 * failback is due, as before).
 *
 * @param nowMs          the clock, in epoch milliseconds
 * @param leases         the lease read from each database (absent: no row, or not read)
 * @param leaseReadAt    when the lease of each database was last read
 * @param leaseSupported the databases that have a lease table
 * @param upSince        when each node last came back up
 * @param failbackGate   null to let a failback happen, else the reason to wait
 */
record Observations(long nowMs, Map<Node, Lease> leases, Map<Node, Long> leaseReadAt, Set<Node> leaseSupported,
                    Map<Node, Long> upSince, Supplier<String> failbackGate) {

    Observations {
        leases = copy(leases);
        leaseReadAt = copy(leaseReadAt);
        leaseSupported = Set.copyOf(leaseSupported);
        upSince = copy(upSince);
        failbackGate = failbackGate == null ? () -> null : failbackGate;
    }

    private static <V> Map<Node, V> copy(Map<Node, V> m) {
        return Map.copyOf(m);
    }

    /** No lease table anywhere, an open failback gate. */
    static Observations at(long nowMs) {
        return new Observations(nowMs, Map.of(), Map.of(), Set.of(), Map.of(), null);
    }

    /** The highest lease read from any database, or null. */
    Lease knownLease() {
        return Lease.best(leases.values());
    }

    /** The same, with {@code node}'s database read at {@code readAtMs} holding {@code lease} (null: no row). */
    Observations withLease(Node node, Lease lease, long readAtMs) {
        Map<Node, Lease> l = new EnumMap<>(Node.class);
        l.putAll(leases);
        if (lease == null) {
            l.remove(node);
        } else {
            l.put(node, lease);
        }
        Map<Node, Long> r = new EnumMap<>(Node.class);
        r.putAll(leaseReadAt);
        r.put(node, readAtMs);
        Set<Node> s = EnumSet.of(node);
        s.addAll(leaseSupported);
        return new Observations(nowMs, l, r, s, upSince, failbackGate);
    }

    /** The same, with {@code node} up again since {@code sinceMs}. */
    Observations withUpSince(Node node, long sinceMs) {
        Map<Node, Long> u = new EnumMap<>(Node.class);
        u.putAll(upSince);
        u.put(node, sinceMs);
        return new Observations(nowMs, leases, leaseReadAt, leaseSupported, u, failbackGate);
    }

    /** The same, with the failback gate {@code gate}. */
    Observations withGate(Supplier<String> gate) {
        return new Observations(nowMs, leases, leaseReadAt, leaseSupported, upSince, gate);
    }

    /** What the gate says: null to go, else the reason to wait; a gate that throws says to wait. */
    String failbackHold() {
        try {
            return failbackGate.get();
        } catch (RuntimeException e) {
            return "failback check failed: " + e;
        }
    }
}
