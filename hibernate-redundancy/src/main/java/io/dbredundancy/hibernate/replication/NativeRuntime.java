package io.dbredundancy.hibernate.replication;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.NodeConfig;
import io.dbredundancy.hibernate.RedundancyConfigException;
import io.dbredundancy.hibernate.RedundancySettings;
import io.dbredundancy.hibernate.health.HealthScheduler;
import io.dbredundancy.hibernate.SwitchEvent;
import io.dbredundancy.hibernate.lease.LeaseProtocol;
import io.dbredundancy.hibernate.mirror.MirrorRuntime;
import io.dbredundancy.hibernate.mirror.SequenceAligner;
import io.dbredundancy.hibernate.routing.RedundancyRuntime;
import io.dbredundancy.hibernate.RedundancyStatus;
import io.dbredundancy.hibernate.status.StatusContributor;
import io.dbredundancy.hibernate.sync.Endpoint;

import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * {@code mirror.mode=native} attached to a unit's core: PostgreSQL's subscriptions carry the changes, and this keeps
 * what the journal mode keeps around them.
 * <ul>
 *   <li>At start, {@link NativeReplication#setup} (idempotent: it refreshes the subscriptions after the schema step);
 *   a missing prerequisite fails the start with one line; a database down at start is set up when it answers.</li>
 *   <li>Before sessions use the node a switch went to: the new lease is written there (the fence of that database
 *   then lets this instance's writes pass and refuses the other's), and its sequences are aligned.</li>
 *   <li>Failback waits until a marker written on the secondary has arrived on the primary: everything the secondary
 *   committed before it has been applied there (commit order). The health thread only reads the probe's result.</li>
 *   <li>Every second, both directions' state, lag and errors for the status; a stopped subscription is logged.</li>
 * </ul>
 */
public final class NativeRuntime implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.replication");
    private static final long POLL_MS = 1000;
    private static final long SETUP_RETRY_MS = 5000;
    /** A failback probe not confirmed within this is written again. */
    private static final long PROBE_MS = 10_000;
    /** Ids left free above a failed node's rows (as the journal mode). */
    private static final long FAILED_NODE_MARGIN = MirrorRuntime.FAILED_NODE_MARGIN;

    private final RedundancyRuntime core;
    private final NativeReplication replication;
    private final Supplier<String> generators;
    private final String holder;
    private final int timeoutS;
    private final Map<Node, Connection> connections = new EnumMap<>(Node.class);
    /** Per subscription: its error count at the last poll that reached its publisher while its worker was down. */
    private final Map<String, Long> errorsWhileWaiting = new java.util.HashMap<>();
    private final AtomicBoolean polling = new AtomicBoolean();
    private final AtomicLong tokens = new AtomicLong(System.currentTimeMillis());
    private volatile List<RedundancyStatus.Replication> directions = List.of();
    private volatile boolean setUp;
    private volatile boolean closed;
    private volatile HealthScheduler.Task next;
    private volatile Probe probe;

    /** A failback probe: the token written on the secondary, and whether the primary has it. */
    private static final class Probe {
        final long token;
        final long startedNs = System.nanoTime();
        volatile boolean written;
        volatile boolean confirmed;
        volatile boolean secondaryDown;
        volatile boolean done;

        Probe(long token) {
            this.token = token;
        }
    }

    public NativeRuntime(RedundancyRuntime core, Supplier<String> generators) {
        this.core = core;
        NodeConfig secondary = core.config().secondary().orElseThrow();
        this.timeoutS = (int) Math.max(2, core.config().healthTimeoutMs() * 4 / 1000);
        this.replication = new NativeReplication(core.config().primary(), secondary, core.unit(), timeoutS);
        this.generators = generators;
        this.holder = ManagementFactory.getRuntimeMXBean().getName() + "/" + core.unit();
    }

    public NativeReplication replication() {
        return replication;
    }

    /** Sets the replication up (or fails the start on a missing prerequisite) and attaches to the core. */
    public void start() {
        setUpOrRetry(true);
        core.addSwitchPreparer(this::prepare);
        core.addListener((SwitchEvent e) -> {
            Node to = e.to().node();
            if (to != null && e.fromFailed()) {
                // a failed node may take the pool's whole wait to answer, if at all: off the gate
                core.workers().execute(() -> SequenceAligner.toOther(core.dataSource(to.other()), core.dataSource(to), to));
            }
        });
        core.addStatusContributor(new StatusContributor() {
            @Override
            public RedundancyStatus.MirrorStatus mirror() {
                return mirrorStatus();
            }
        });
        core.monitor().setFailbackGate(this::failbackHold);
        schedulePoll(0);
        LOG.log(System.Logger.Level.INFO, "[DB-Redundancy] Native mirror (logical replication) attached to unit "
                + core.unit() + ": publication " + replication.names().publication());
    }

    private void setUpOrRetry(boolean atStart) {
        if (closed) {
            return;
        }
        try {
            NativeReplication.Report report = replication.setup(Duration.ofSeconds(atStart ? 60 : 5));
            report.lines().forEach(l -> LOG.log(l.contains("does not carry") ? System.Logger.Level.WARNING
                    : System.Logger.Level.INFO, "[DB-Redundancy] native: " + l));
            setUp = true;
            Node active = core.state().active().node();
            if (active != null) {
                for (Node n : Node.values()) {
                    writeLease(n, core.state().epoch(), active, "after the setup", true);
                }
            }
        } catch (NativeReplication.SetupException e) {
            boolean unreachable = e.problems().stream().anyMatch(p -> p.contains(": cannot connect ("));
            if (atStart && !unreachable) {
                throw new RedundancyConfigException(RedundancySettings.MIRROR_MODE, RedundancySettings.MIRROR_MODE
                        + "=native cannot start: " + String.join("; ", e.problems()));
            }
            LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] native replication not set up yet ("
                    + String.join("; ", e.problems()) + "); trying again in " + SETUP_RETRY_MS / 1000 + " s");
            HealthScheduler.Task t = core.schedule(() -> core.workers().execute(() -> setUpOrRetry(false)), SETUP_RETRY_MS);
            if (closed) {
                t.cancel();
            }
        }
    }

    /** Before sessions use {@code to}: its lease names it in the new epoch, and its sequences are past every id. */
    private void prepare(SwitchEvent e) {
        Node to = e.to().node();
        if (to == null) {
            return;
        }
        writeLease(to, e.epoch(), to, "at the switch");
        String g = generators.get();
        if (e.fromFailed()) {
            SequenceAligner.toOwnRows(core.dataSource(to), to, g, FAILED_NODE_MARGIN);
        } else {
            SequenceAligner.toOwnRows(core.dataSource(to), to, g, 1);
            SequenceAligner.toOther(core.dataSource(to.other()), core.dataSource(to), to);
        }
    }

    /**
     * Writes the lease {@code (epoch, active)} into {@code db} now (the lease keeper renews it every health interval,
     * but its first look may come a few periods after the library's tables appeared): the fence reads it.
     */
    private void writeLease(Node db, long epoch, Node active, String when) {
        writeLease(db, epoch, active, when, false);
    }

    private void writeLease(Node db, long epoch, Node active, String when, boolean announce) {
        try (Connection c = Endpoint.open(core.config().node(db), timeoutS, timeoutS, "db-redundancy-lease")) {
            LeaseProtocol.propose(c, epoch, active, holder, core.state().manualHold());
            if (db == active) {
                replication.writeEpoch(c, active, epoch, announce);
            }
        } catch (SQLException ex) {
            LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] could not write the lease to the " + db.id() + " "
                    + when + " (its fence lets writes pass or refuses them by the lease it has until the lease keeper"
                    + " writes it): " + NativeReplication.reason(ex));
        }
    }

    // ---------------------------------------------------------------- failback gate

    /**
     * Null when failback may go ahead: a marker written on the secondary has been applied on the primary (or the
     * secondary does not answer, so it can hold nothing back). Never touches a database: a worker writes and reads
     * the marker, this reads its result.
     */
    String failbackHold() {
        Probe p = probe;
        if (p == null || (p.done && !p.confirmed) || System.nanoTime() - p.startedNs > PROBE_MS * 1_000_000L) {
            Probe fresh = new Probe(tokens.incrementAndGet());
            probe = fresh;
            core.workers().execute(() -> runProbe(fresh));
            p = fresh;
        }
        if (p.confirmed || p.secondaryDown) {
            probe = null;
            return null;
        }
        String sub = replication.names().subscriptionOn(Node.PRIMARY);
        String state = directions.stream().filter(d -> d.subscription().equals(sub)).map(d -> d.state())
                .findFirst().orElse("unknown");
        return "changes written on the secondary are not yet confirmed on the primary (subscription " + sub + ": "
                + state + ")";
    }

    private void runProbe(Probe p) {
        try (Connection s = Endpoint.open(core.config().node(Node.SECONDARY), timeoutS, timeoutS, "db-redundancy-native");
             PreparedStatement ps = s.prepareStatement(NativeSql.WRITE_MARKER)) {
            ps.setString(1, Node.SECONDARY.id());
            ps.setLong(2, p.token);
            ps.executeUpdate();
            p.written = true;
        } catch (SQLException e) {
            p.secondaryDown = true;
            p.done = true;
            return;
        }
        long deadline = System.nanoTime() + PROBE_MS * 1_000_000L;
        try (Connection c = Endpoint.open(core.config().primary(), timeoutS, timeoutS, "db-redundancy-native");
             PreparedStatement ps = c.prepareStatement(NativeSql.READ_MARKER)) {
            ps.setString(1, Node.SECONDARY.id());
            while (!closed && System.nanoTime() < deadline) {
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getLong(1) >= p.token) {
                        p.confirmed = true;
                        return;
                    }
                }
                Thread.sleep(20);
            }
        } catch (SQLException e) {
            // the primary does not answer: failback cannot happen anyway
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            p.done = true;
        }
    }

    // ---------------------------------------------------------------- status

    private void schedulePoll(long delayMs) {
        if (!closed) {
            next = core.schedule(() -> core.workers().execute(this::poll), delayMs);
        }
    }

    private void poll() {
        if (closed || !polling.compareAndSet(false, true)) {
            return;
        }
        try {
            Map<Node, Connection> live = new EnumMap<>(Node.class);
            for (Node n : Node.values()) {
                Connection c = connection(n);
                if (c != null) {
                    live.put(n, c);
                }
            }
            List<RedundancyStatus.Replication> now = new java.util.ArrayList<>();
            for (RedundancyStatus.Replication d : replication.status(live)) {
                now.add(failing(d, d.lagBytes() >= 0)); // the lag is read on the publisher
            }
            for (RedundancyStatus.Replication d : now) {
                String before = directions.stream().filter(o -> o.subscription().equals(d.subscription()))
                        .map(RedundancyStatus.Replication::state).findFirst().orElse(null);
                if (!d.state().equals(before) && (STOPPED.contains(d.state()) || "streaming".equals(d.state()))) {
                    LOG.log(STOPPED.contains(d.state()) ? System.Logger.Level.WARNING : System.Logger.Level.INFO,
                            "[DB-Redundancy] native replication " + d.from() + " -> " + d.to() + " (" + d.subscription()
                                    + "): " + d.state() + (d.lastError() != null ? ": " + d.lastError() : ""));
                }
            }
            directions = now;
            for (Node n : Node.values()) {
                if (!live.containsKey(n)) {
                    continue;
                }
                try {
                    if (!live.get(n).isValid(1)) {
                        drop(n);
                    }
                } catch (SQLException e) {
                    drop(n);
                }
            }
        } finally {
            polling.set(false);
            schedulePoll(POLL_MS);
        }
    }

    private static final java.util.Set<String> STOPPED = java.util.Set.of("stopped", "failing");

    /**
     * A subscription whose worker is down while its publisher answers, and whose error count grew between two such
     * polls, fails to apply a change (PostgreSQL retries it every few seconds, and fails again): {@code failing}.
     */
    private RedundancyStatus.Replication failing(RedundancyStatus.Replication d, boolean publisherAnswers) {
        if (!"waiting".equals(d.state()) || !publisherAnswers) {
            if (!"waiting".equals(d.state())) {
                errorsWhileWaiting.remove(d.subscription());
            }
            return d;
        }
        Long before = errorsWhileWaiting.putIfAbsent(d.subscription(), d.errors());
        if (before == null || d.errors() <= before) {
            return d;
        }
        return new RedundancyStatus.Replication(d.from(), d.to(), d.subscription(), "failing", d.lagBytes(), d.lagMs(),
                d.errors(), "applying a change from the " + d.from() + " fails again and again (" + d.errors()
                + " errors so far), a conflict such as a unique violation: the " + d.to() + " server's log names the"
                + " row; once it is fixed the subscription resumes by itself");
    }

    private Connection connection(Node n) {
        synchronized (connections) {
            Connection c = connections.get(n);
            if (c != null) {
                return c;
            }
        }
        try {
            Connection c = Endpoint.open(core.config().node(n), timeoutS, 5, "db-redundancy-native");
            synchronized (connections) {
                connections.put(n, c);
            }
            return c;
        } catch (SQLException e) {
            return null;
        }
    }

    private void drop(Node n) {
        Connection c;
        synchronized (connections) {
            c = connections.remove(n);
        }
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing
            }
        }
    }

    /** Both directions as the last poll saw them. */
    public List<RedundancyStatus.Replication> directions() {
        return directions;
    }

    private RedundancyStatus.MirrorStatus mirrorStatus() {
        List<RedundancyStatus.Replication> ds = directions;
        long lagMs = 0;
        long errors = 0;
        StringBuilder note = new StringBuilder();
        for (RedundancyStatus.Replication d : ds) {
            lagMs = Math.max(lagMs, d.lagMs());
            errors += d.errors();
            if (!"streaming".equals(d.state())) {
                note.append(note.length() == 0 ? "" : "; ").append(d.from()).append(" -> ").append(d.to()).append(' ')
                        .append(d.state());
            }
        }
        if (!setUp) {
            note.append(note.length() == 0 ? "" : "; ").append("not set up yet");
        }
        return new RedundancyStatus.MirrorStatus("native", 0, lagMs, null, errors, 0, 0,
                note.length() == 0 ? null : note.toString(), ds);
    }

    @Override
    public void close() {
        closed = true;
        HealthScheduler.Task t = next;
        if (t != null) {
            t.cancel();
        }
        for (Node n : Node.values()) {
            drop(n);
        }
    }
}
