package io.dbredundancy.hibernate.health;

import io.dbredundancy.hibernate.ActiveNode;
import io.dbredundancy.hibernate.SwitchEvent;
import io.dbredundancy.hibernate.SwitchKind;

import java.time.Instant;

/**
 * What {@link SwitchRules} decided for one state: stay, switch (opening the next epoch), follow another instance's
 * lease (in its epoch), move to a later epoch on the same node, wait, or refuse a manual switch. Each kind is a small
 * record that knows the state it leads to; the monitor swaps that state in by compare-and-set and only then logs and
 * publishes (so nothing here logs or has any other effect).
 */
sealed interface Decision {

    /** Nothing to do. */
    Decision STAY = new Stay();

    /** The state this decision leads to from {@code s}; {@code s} itself when it changes nothing. */
    default HealthState apply(HealthState s, Instant now) {
        return s;
    }

    /** The switch to publish once {@code after} (the result of {@link #apply}) is swapped in; null when none. */
    default SwitchEvent event(ActiveNode from, HealthState after, Instant now) {
        return null;
    }

    /** Nothing to do. */
    record Stay() implements Decision {
    }

    /**
     * This instance switches the active node by {@code kind}, opening the next epoch.
     *
     * @param fromFailed the node left behind failed (its in-flight work is aborted)
     */
    record Switch(SwitchKind kind, ActiveNode to, String reason, boolean fromFailed) implements Decision {
        @Override
        public HealthState apply(HealthState s, Instant now) {
            return s.switchTo(kind, to, now);
        }

        @Override
        public SwitchEvent event(ActiveNode from, HealthState after, Instant now) {
            return new SwitchEvent(from, to, kind, reason, after.epoch(), now, fromFailed);
        }
    }

    /**
     * Another instance wrote a lease of a later epoch: this instance switches by {@code kind} to the node it names (or
     * to none when it cannot reach that node), in the lease's {@code epoch}.
     *
     * @param hold the lease was written by a manual failover: hold the secondary
     */
    record Follow(SwitchKind kind, ActiveNode to, String reason, long epoch, boolean hold) implements Decision {
        @Override
        public HealthState apply(HealthState s, Instant now) {
            return s.follow(kind, to, now, epoch, hold);
        }

        @Override
        public SwitchEvent event(ActiveNode from, HealthState after, Instant now) {
            return new SwitchEvent(from, to, kind, reason, after.epoch(), now, true);
        }
    }

    /** A lease of a later epoch names the node this instance already serves (or none, when it serves none). */
    record JoinEpoch(long epoch, boolean hold) implements Decision {
        @Override
        public HealthState apply(HealthState s, Instant now) {
            return s.inEpoch(epoch, hold);
        }
    }

    /** An automatic failback is due, but the failback gate says to wait, for {@code reason}. */
    record FailbackWaits(String reason) implements Decision {
    }

    /**
     * Both were down and a node answers again, but this instance may not take it yet, for {@code reason}.
     *
     * @param quiet a wait that passes by itself (the lease of the returning node is being read): not worth a warning
     */
    record NotServing(String reason, boolean quiet) implements Decision {
    }

    /** A manual switch that may not happen; {@code message} says why (it reaches the caller). */
    record Refused(String message) implements Decision {
    }
}
