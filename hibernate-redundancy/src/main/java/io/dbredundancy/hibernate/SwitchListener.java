package io.dbredundancy.hibernate;

/**
 * Told of every switch of the active node, on the unit's health thread, right after the new state is published
 * (new sessions already go to the new node). Keep it short; a listener that throws is logged and ignored.
 */
@FunctionalInterface
public interface SwitchListener {
    void onSwitch(SwitchEvent event);
}
