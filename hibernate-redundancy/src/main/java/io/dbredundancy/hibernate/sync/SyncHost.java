package io.dbredundancy.hibernate.sync;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.status.StatusContributor;

import javax.sql.DataSource;
import java.time.Clock;
import java.util.concurrent.Executor;

/**
 * What the sync feature (schema migration at start, the sync service, the safety net) needs from the rest of the
 * plugin, and nothing more; the core's {@code RedundancyRuntime} offers it through {@link CoreSyncHost}, as it offers
 * the mirror its {@code MirrorHost}.
 */
public interface SyncHost {

    String unit();

    RedundancyConfig config();

    /** The pool of {@code node}; only asked for the nodes {@link #config()} has. */
    DataSource dataSource(Node node);

    /** True when the health monitor sees {@code node} up now. */
    boolean up(Node node);

    /** The node new sessions go to now, or null when none serves. */
    Node activeNode();

    Clock clock();

    /** Runs a short task on the unit's health thread after {@code delayMs}. */
    void schedule(Runnable task, long delayMs);

    /** The unit's worker threads, for longer work. */
    Executor workers();

    void addStatusContributor(StatusContributor contributor);

    /** True once the unit is closing: background work stops rescheduling itself. */
    boolean closed();

    /** The endpoint of {@code node}: its pool, named by its display URL (no password). */
    default Endpoint endpoint(Node node) {
        return Endpoint.of(node, dataSource(node), config().node(node).displayUrl());
    }
}
