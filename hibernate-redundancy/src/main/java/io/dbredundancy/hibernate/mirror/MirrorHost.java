package io.dbredundancy.hibernate.mirror;

import io.dbredundancy.hibernate.Node;

import javax.sql.DataSource;
import java.sql.Connection;

/**
 * What the mirror needs from the rest of the plugin, and nothing more: connections to each node outside any
 * Hibernate session, the current epoch, and a place to hand over the unit's {@link MirrorRuntime}.
 * <p>
 * The unit's {@code MultiTenantConnectionProvider} offers it through
 * {@code isUnwrappableAs(MirrorHost.class)}/{@code unwrap(MirrorHost.class)}; a SessionFactory whose provider
 * does not is not mirrored.
 */
public interface MirrorHost {

    /** Connections to {@code node} for the relay. Should fail at once when the node is known to be down. */
    DataSource dataSource(Node node);

    /**
     * A connection to {@code node} of the relay's own, outside the pool, on which it keeps session settings (applying
     * as a replica) for its lifetime; null when the host has none to offer (then the relay takes pooled connections
     * and sets them per transaction).
     */
    default Connection relayConnection(Node node) throws java.sql.SQLException {
        return null;
    }

    /**
     * The unit's settings as the core parsed and validated them at start, so that the mirror reads the same values
     * (environment included) without parsing them again; null when the host has none, and the mirror then reads the
     * SessionFactory's settings.
     */
    default io.dbredundancy.hibernate.RedundancyConfig config() {
        return null;
    }

    /** True when the unit has a secondary; without one nothing is mirrored. */
    default boolean redundancyEnabled() {
        return true;
    }

    /** The node new sessions go to now, or null when none serves. */
    Node activeNode();

    /** The epoch of the last switch, carried by every journal entry (1 before the first switch). */
    long epoch();

    /** A journal write on {@code node} was refused by its lease (this instance writes on a demoted database). */
    default void fenced(Node node) {
    }

    /**
     * Receives the unit's mirror once the SessionFactory is built, so the host can call
     * {@link MirrorRuntime#beforeSwitch}, {@link MirrorRuntime#afterSwitch}, {@link MirrorRuntime#drainedTo} and
     * {@link MirrorRuntime#stats()}.
     */
    default void attach(MirrorRuntime runtime) {
    }

    /**
     * Copies to the other node the tables of {@code source} that bulk statements marked (they changed rows without
     * entity events), while the relay that drains {@code source} is held; false when the host cannot (nothing
     * marked is then copied until a sync runs).
     */
    default boolean repairMarkedTables(Node source) {
        return false;
    }
}
