package io.dbredundancy.hibernate;

import java.time.Instant;

/**
 * One switch of the active node.
 *
 * @param epoch        the epoch the switch opened (the state's epoch after it)
 * @param fromFailed   true when the node left behind failed (its in-flight work is to be aborted); false for a
 *                     switch away from a healthy node (manual failover, automatic failback)
 */
public record SwitchEvent(ActiveNode from, ActiveNode to, SwitchKind kind, String reason, long epoch, Instant time,
                          boolean fromFailed) {

    @Override
    public String toString() {
        return kind + " " + from + " -> " + to + " (epoch " + epoch + ", " + time + "): " + reason;
    }
}
