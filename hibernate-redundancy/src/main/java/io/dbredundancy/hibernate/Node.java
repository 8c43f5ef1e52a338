package io.dbredundancy.hibernate;

import java.util.Locale;

/**
 * One of the two databases of a unit. Its {@link #id()} is the tenant identifier Hibernate sees and the
 * word used in the status JSON, logs and settings.
 */
public enum Node {
    PRIMARY,
    SECONDARY;

    /** {@code "primary"} or {@code "secondary"}: the tenant identifier and the JSON name. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public Node other() {
        return this == PRIMARY ? SECONDARY : PRIMARY;
    }

    /** Parses {@code "primary"} / {@code "secondary"} (any case). */
    public static Node fromId(String id) {
        if (id != null) {
            for (Node n : values()) {
                if (n.id().equalsIgnoreCase(id.trim())) {
                    return n;
                }
            }
        }
        throw new IllegalArgumentException("Unknown database node '" + id + "'; allowed: primary, secondary");
    }

    @Override
    public String toString() {
        return id();
    }
}
