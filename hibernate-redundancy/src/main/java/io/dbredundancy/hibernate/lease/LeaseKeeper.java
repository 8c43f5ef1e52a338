package io.dbredundancy.hibernate.lease;

import io.dbredundancy.hibernate.DatabaseUrl;
import io.dbredundancy.hibernate.Node;

import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Keeps this instance and the lease rows of the databases in agreement (several application instances share the two
 * databases; PostgreSQL itself is the arbiter, there is no other coordinator). Every health interval, on each database
 * it reaches, one call of {@code redundancy_lease_touch}: while this instance serves, it renews the lease of its epoch
 * there or writes it where an older one is found (the switch this instance made, carried to both databases); the lease
 * it reads back goes to the {@link Instance} (the core's health monitor, which follows any later epoch). A switch of
 * this instance touches at once ({@link #wake()}). Connections of its own, outside the pools, with short time-outs, so
 * a hung node or an exhausted pool cannot hold it up; a database without the lease table (library changelog not
 * applied) is asked again every few periods. It knows the instance only through {@link Instance}: the lease package
 * depends on no other package of the plugin.
 */
public final class LeaseKeeper implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.lease");
    /** Periods between two looks for the lease table on a database that lacks it. */
    private static final int UNSUPPORTED_EVERY = 4;

    /** Opens a connection to a node, outside the pools, within about {@code timeoutMs}. */
    @FunctionalInterface
    public interface Opener {
        Connection open(long timeoutMs) throws SQLException;
    }

    /** The state an instance serves in: its epoch, the node it serves from, and whether a manual failover holds it. */
    public record Serving(long epoch, Node node, boolean manualHold) {
    }

    /** A scheduled task that can be cancelled. */
    @FunctionalInterface
    public interface Scheduled {
        void cancel();
    }

    /** What the keeper needs of the instance whose lease it keeps (the core adapts its health monitor to it). */
    public interface Instance {

        /** The state this instance serves in now, or null while it serves from no node. */
        Serving serving();

        /** False while the probes find {@code node} unreachable: the keeper then leaves it alone. */
        boolean connected(Node node);

        /** What the keeper read of {@code node}'s lease: see the monitor's {@code observeLease}. */
        void observed(Node node, boolean supported, Lease lease);

        /** Runs {@code task} on the instance's health thread as soon as possible. */
        void execute(Runnable task);

        /** Runs {@code task} on the instance's health thread after {@code delayMs}. */
        Scheduled schedule(Runnable task, long delayMs);
    }

    private volatile Instance monitor;
    private final Map<Node, Opener> openers;
    private final Executor workers;
    private final long periodMs;
    private final long timeoutMs;
    private final String holder;
    private final Map<Node, AtomicBoolean> busy = new EnumMap<>(Node.class);
    private final Map<Node, AtomicReference<Connection>> kept = new EnumMap<>(Node.class);
    private final Map<Node, int[]> unsupported = new EnumMap<>(Node.class);
    private volatile boolean closed;
    private volatile Scheduled next;

    /**
     * @param intervalMs the health interval: the period of the renewal
     * @param healthTimeoutMs the health time-out: a touch waits up to {@code max(1000, 2 × healthTimeoutMs)} ms
     */
    public LeaseKeeper(Map<Node, Opener> openers, Executor workers, String unit, long intervalMs, long healthTimeoutMs) {
        this.openers = Map.copyOf(openers);
        this.workers = workers;
        this.periodMs = intervalMs;
        this.timeoutMs = Math.max(1000, 2 * healthTimeoutMs);
        this.holder = ManagementFactory.getRuntimeMXBean().getName() + "/" + unit;
        for (Node n : openers.keySet()) {
            busy.put(n, new AtomicBoolean());
            kept.put(n, new AtomicReference<>());
            unsupported.put(n, new int[1]);
        }
    }

    /** This instance in the lease's {@code holder} column: {@code pid@host/unit}. */
    public String holder() {
        return holder;
    }

    /**
     * Reads the lease of every node of {@code up} (those that answered the start check), in parallel, within the
     * time-out. For the state at start; the monitor is not told (it is not running yet).
     *
     * @return per node: the lease, or null when the node has the table but no row; absent when it has no table or
     *         could not be read
     */
    public Map<Node, java.util.Optional<Lease>> readAtStart(Set<Node> up) {
        Map<Node, java.util.concurrent.CompletableFuture<java.util.Optional<java.util.Optional<Lease>>>> reads =
                new EnumMap<>(Node.class);
        for (Node n : openers.keySet()) {
            if (up.contains(n)) {
                reads.put(n, java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return java.util.Optional.of(java.util.Optional.ofNullable(touch(n, null)));
                    } catch (SQLException e) {
                        return java.util.Optional.empty();
                    }
                }, workers));
            }
        }
        Map<Node, java.util.Optional<Lease>> out = new EnumMap<>(Node.class);
        reads.forEach((n, f) -> {
            try {
                f.get(timeoutMs + 500, java.util.concurrent.TimeUnit.MILLISECONDS).ifPresent(l -> out.put(n, l));
            } catch (Exception e) {
                LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] lease of the " + n + " not read at start: " + e);
            }
        });
        return out;
    }

    /** Starts touching every health interval, reporting to {@code instance}; its switches must call {@link #wake()}. */
    public void start(Instance instance) {
        this.monitor = instance;
        instance.execute(this::tick);
    }

    /** Touches every node now (after a switch of this instance, or a write refused by the fencing check). */
    public void wake() {
        if (!closed && monitor != null) {
            monitor.execute(this::touchAll);
        }
    }

    /**
     * Writes this instance's lease into every database it reaches, now and on the caller's thread, so that a manual
     * switch returns once the databases hold it: from then on the fence refuses a write on the demoted database from
     * any instance. Bounded by the health time-out per database; a database that does not answer learns the lease on
     * the next renewal.
     */
    public void writeNow() {
        if (closed || monitor == null) {
            return;
        }
        if (monitor.serving() == null) {
            return;
        }
        for (Node n : openers.keySet()) {
            if (monitor.connected(n)) {
                touchAndReport(n);
            }
        }
    }

    private void tick() {
        if (closed) {
            return;
        }
        touchAll();
        next = monitor.schedule(this::tick, periodMs);
    }

    private void touchAll() {
        for (Node n : openers.keySet()) {
            if (!monitor.connected(n)) {
                continue; // the probes decide when it is back; no connection attempts at a dead node from here too
            }
            int[] miss = unsupported.get(n);
            if (miss[0] > 0 && miss[0]++ % UNSUPPORTED_EVERY != 0) {
                continue;
            }
            AtomicBoolean b = busy.get(n);
            if (!b.compareAndSet(false, true)) {
                continue;
            }
            try {
                workers.execute(() -> {
                    try {
                        touchAndReport(n);
                    } finally {
                        b.set(false);
                    }
                });
            } catch (RuntimeException rejected) {
                b.set(false);
            }
        }
    }

    private void touchAndReport(Node n) {
        try {
            Lease l = touch(n, monitor.serving());
            unsupported.get(n)[0] = 0;
            monitor.observed(n, true, l);
        } catch (SQLException e) {
            if (LeaseProtocol.isMissing(e)) {
                if (unsupported.get(n)[0] == 0) {
                    LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] the " + n + " database has no lease table yet"
                            + " (db/redundancy/changelog.xml): instances do not coordinate through it");
                    unsupported.get(n)[0] = 1;
                }
                monitor.observed(n, false, null);
            } else if (!closed) {
                LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] lease of the " + n + " not touched: "
                        + DatabaseUrl.mask(String.valueOf(e.getMessage())));
            }
        }
    }

    /**
     * One round trip: renews or writes this instance's lease ({@code s} non-null: the state it serves in) and reads
     * the lease back; {@code s} null only reads.
     */
    private Lease touch(Node n, Serving s) throws SQLException {
        Connection c = kept.get(n).getAndSet(null);
        if (c == null) {
            c = openers.get(n).open(timeoutMs);
        }
        boolean ok = false;
        try {
            c.setNetworkTimeout(Runnable::run, (int) timeoutMs);
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            Lease lease = s == null ? LeaseProtocol.read(c)
                    : LeaseProtocol.propose(c, s.epoch(), s.node(), holder, s.manualHold());
            ok = true;
            return lease;
        } finally {
            if (ok && !closed && kept.get(n).compareAndSet(null, c)) {
                c = null;
            }
            if (c != null) {
                quietClose(c);
            }
        }
    }

    private static void quietClose(Connection c) {
        try {
            c.close();
        } catch (SQLException | RuntimeException ignored) {
            // broken anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        Scheduled t = next;
        if (t != null) {
            t.cancel();
        }
        for (AtomicReference<Connection> ref : kept.values()) {
            Connection c = ref.getAndSet(null);
            if (c != null) {
                quietClose(c);
            }
        }
    }
}
