package io.dbredundancy.hibernate.replication;

import io.dbredundancy.hibernate.Node;

import java.util.Locale;

/**
 * The names of a unit's replication objects: one publication per database ({@code redundancy_<unit>}), and on each
 * database the subscription to the other ({@code redundancy_<unit>_from_primary} on the secondary,
 * {@code redundancy_<unit>_from_secondary} on the primary), whose slot on the publisher has the same name.
 */
public record NativeNames(String unit, String publication) {

    /** PostgreSQL's identifier limit (NAMEDATALEN - 1), less the longest suffix. */
    private static final int MAX_UNIT = 63 - "redundancy__from_secondary".length();

    public static NativeNames of(String unit) {
        String u = unit == null || unit.isBlank() ? "default" : unit.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        if (u.length() > MAX_UNIT) {
            u = u.substring(0, MAX_UNIT - 9) + "_" + Integer.toHexString(unit.hashCode());
        }
        return new NativeNames(u, "redundancy_" + u);
    }

    /** The subscription on {@code target} that receives the other database's changes (also its slot's name). */
    public String subscriptionOn(Node target) {
        return publication + "_from_" + target.other().id();
    }
}
