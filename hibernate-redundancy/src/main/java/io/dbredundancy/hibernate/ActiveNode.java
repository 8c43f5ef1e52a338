package io.dbredundancy.hibernate;

import java.util.Locale;

/** Which database serves new sessions: the primary, the secondary, or none (both down). */
public enum ActiveNode {
    PRIMARY(Node.PRIMARY),
    SECONDARY(Node.SECONDARY),
    NONE(null);

    private final Node node;

    ActiveNode(Node node) {
        this.node = node;
    }

    /** The serving node, or null for {@link #NONE}. */
    public Node node() {
        return node;
    }

    public static ActiveNode of(Node node) {
        return node == null ? NONE : node == Node.PRIMARY ? PRIMARY : SECONDARY;
    }

    /** {@code primary}, {@code secondary} or {@code none}: the word of the status JSON. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return id();
    }
}
