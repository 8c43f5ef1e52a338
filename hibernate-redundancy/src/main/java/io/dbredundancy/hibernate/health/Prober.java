package io.dbredundancy.hibernate.health;

import io.dbredundancy.hibernate.Node;

/**
 * Checks one node on a connection of its own, outside the application's pools, so that an exhausted or hung pool
 * cannot hide the node's state. Called on probe threads; may block up to about {@code timeoutMs} (the monitor
 * counts a probe that takes longer as failed at its deadline, whatever it returns later).
 */
public interface Prober extends AutoCloseable {

    ProbeResult probe(Node node, long timeoutMs);

    /** Releases what the prober keeps (idle probe connections). */
    @Override
    default void close() {
    }
}
