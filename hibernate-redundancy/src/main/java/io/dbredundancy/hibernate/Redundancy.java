package io.dbredundancy.hibernate;

import io.dbredundancy.hibernate.outcome.OutcomeResolver;
import io.dbredundancy.hibernate.outcome.TransactionId;
import io.dbredundancy.hibernate.routing.RedundancyRuntime;
import io.dbredundancy.hibernate.routing.RuntimeLookup;
import io.dbredundancy.hibernate.sync.SyncOptions;
import io.dbredundancy.hibernate.sync.SyncService;
import io.dbredundancy.hibernate.sync.UnitSync;
import jakarta.persistence.EntityManagerFactory;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * The handle of one persistence unit's redundancy: its status, manual failover and failback, switch listeners, the
 * outcome of a commit whose connection died ({@link #outcome(String)}), and the sync tools (full copy, catch-up, verify, repair, sequences) over the unit's own pools. A sync run shows in
 * {@code status()} as {@code syncStatus} {@code running}, then {@code idle} or {@code failed} with {@code lastSync}.
 *
 * <pre>{@code
 * Redundancy r = Redundancy.of(emf);
 * System.out.println(r.status().toJson());
 * r.failover();
 * }</pre>
 */
public final class Redundancy {

    private final RedundancyRuntime runtime;

    private Redundancy(RedundancyRuntime runtime) {
        this.runtime = runtime;
    }

    /**
     * The handle of the unit behind {@code emf} (a Hibernate {@code SessionFactory} works too).
     *
     * @throws IllegalArgumentException when the unit is not configured with {@code RedundantConnectionProvider}
     *                                  or is closed
     */
    public static Redundancy of(EntityManagerFactory emf) {
        return new Redundancy(RuntimeLookup.require(emf));
    }

    /** An immutable snapshot of the unit's state; {@code status().toJson()} is the health document. */
    public RedundancyStatus status() {
        return runtime.status();
    }

    /**
     * Switches new sessions to the secondary now, whatever the probes say, and holds them there until
     * {@link #failback()} (or until the secondary fails). Returns once every reachable database holds the new lease:
     * from then on no instance commits a journaled write on the primary.
     *
     * @return the switch, or null when the secondary already serves
     * @throws IllegalStateException when no secondary is configured or the secondary is down (the message says which)
     */
    public SwitchEvent failover() {
        return runtime.failover();
    }

    /**
     * Switches new sessions back to the primary now; returns once every reachable database holds the new lease.
     *
     * @return the switch, or null when the primary already serves
     * @throws IllegalStateException when the primary is down, or the mirror has not drained back yet
     */
    public SwitchEvent failback() {
        return runtime.failback();
    }

    /**
     * Copies every table of the other database to {@code target} (PostgreSQL binary {@code COPY}, tables in
     * foreign-key order), then moves the target's sequences past the source's. Resumable: a run that was interrupted
     * continues where it stopped. Runs on the caller's thread.
     *
     * @param target the database to overwrite ({@link Node#SECONDARY} to copy primary to secondary)
     * @throws SyncException one line saying what failed (shown as {@code syncStatus} {@code failed})
     * @throws IllegalStateException when no secondary is configured
     */
    public SyncResult syncFull(Node target) {
        Objects.requireNonNull(target, "target");
        return tracked(sync -> sync.fullSync(target, SyncOptions.defaults()));
    }

    /**
     * Brings {@code target} up to date with the other database: rows changed since the last run (by
     * {@code updated_at}, or by checksums over primary-key ranges for tables without it) are upserted in batches of
     * 1000. Runs on the caller's thread.
     *
     * @throws SyncException one line saying what failed (shown as {@code syncStatus} {@code failed})
     * @throws IllegalStateException when no secondary is configured
     */
    public SyncResult syncIncremental(Node target) {
        Objects.requireNonNull(target, "target");
        return tracked(sync -> sync.incrementalSync(target, SyncOptions.defaults()));
    }

    /**
     * Compares both databases with checksums over primary-key chunks, changing nothing.
     *
     * @return {@link VerifyResult#identical()} only when every table matches; otherwise the tables and key ranges
     *         that differ
     * @throws SyncException one line saying what failed (shown as {@code syncStatus} {@code failed})
     * @throws IllegalStateException when no secondary is configured
     */
    public VerifyResult verify() {
        return tracked(sync -> sync.verify(SyncOptions.defaults()));
    }

    /**
     * Makes {@code target} equal to the other database by rewriting only the primary-key chunks that differ
     * (rows missing on the source are deleted from the target).
     *
     * @throws SyncException one line saying what failed (shown as {@code syncStatus} {@code failed})
     * @throws IllegalStateException when no secondary is configured
     */
    public SyncResult repair(Node target) {
        Objects.requireNonNull(target, "target");
        return tracked(sync -> sync.repair(target, SyncOptions.defaults()));
    }

    /**
     * Moves every sequence and identity column of {@code target} past the other database's value (and past the
     * highest id the target holds), so ids issued there never collide.
     *
     * @return one line per sequence moved
     * @throws SyncException one line saying what failed (shown as {@code syncStatus} {@code failed})
     * @throws IllegalStateException when no secondary is configured
     */
    public List<String> alignSequences(Node target) {
        Objects.requireNonNull(target, "target");
        return tracked(sync -> sync.alignSequences(target, SyncOptions.defaults()));
    }

    private <T> T tracked(Function<SyncService, T> work) {
        UnitSync sync = UnitSync.of(runtime); // throws: no secondary
        return sync.activity().track(() -> work.apply(sync.service()));
    }

    /** How long {@link #outcome(String)} waits for a commit that is still running on the database. */
    public static final Duration OUTCOME_WAIT = Duration.ofSeconds(5);

    /**
     * What became of the transaction of a {@link CommitOutcomeUnknownException} (its
     * {@link CommitOutcomeUnknownException#transactionId()}): {@link CommitOutcome#COMMITTED} when its record is in
     * either database; {@link CommitOutcome#NOT_COMMITTED} when the database it ran on is reachable and nothing there
     * can still commit it; else {@link CommitOutcome#UNKNOWN} (ask again later). Waits up to {@link #OUTCOME_WAIT}
     * for a commit still running there. Records are kept 24 hours. Runs on the caller's thread.
     *
     * @throws IllegalArgumentException when {@code transactionId} is not such an id (or null)
     */
    public CommitOutcome outcome(String transactionId) {
        return outcome(transactionId, OUTCOME_WAIT);
    }

    /** {@link #outcome(String)}, waiting up to {@code maxWait} for a commit still running on the database. */
    public CommitOutcome outcome(String transactionId, Duration maxWait) {
        TransactionId id = TransactionId.parse(transactionId);
        Objects.requireNonNull(maxWait, "maxWait");
        Map<Node, javax.sql.DataSource> dataSources = new EnumMap<>(Node.class);
        dataSources.put(Node.PRIMARY, runtime.dataSource(Node.PRIMARY));
        if (runtime.config().redundancyEnabled()) {
            dataSources.put(Node.SECONDARY, runtime.dataSource(Node.SECONDARY));
        }
        if (!dataSources.containsKey(id.node())) {
            throw new IllegalArgumentException("[DB-Redundancy] transaction " + transactionId + " ran on the "
                    + id.node() + " database, which this unit does not have");
        }
        return new OutcomeResolver(dataSources).resolve(id, maxWait);
    }

    /** Calls {@code listener} at every switch of the active node, on the unit's health thread. */
    public void addListener(SwitchListener listener) {
        runtime.addListener(listener);
    }

    public void removeListener(SwitchListener listener) {
        runtime.removeListener(listener);
    }

    @Override
    public String toString() {
        return "Redundancy[" + runtime.unit() + "]";
    }
}
