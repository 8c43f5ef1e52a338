package io.dbredundancy.hibernate.routing;

/**
 * SPI: a feature that attaches to every unit at start, the way the mirror attaches through its {@code MirrorHost}
 * once the SessionFactory is built. Listed in {@code META-INF/services/io.dbredundancy.hibernate.routing.UnitFeature}
 * (the library lists its sync feature: schema migration at start and the safety-net sync); loaded with the library's
 * class loader, one instance for all units.
 */
public interface UnitFeature {

    /**
     * Attaches to {@code unit} after the start check, before the health thread runs: its state is what the start
     * check saw. A {@link io.dbredundancy.hibernate.RedundancyConfigException} stops the start (the unit is closed).
     *
     * @return the feature's part of this unit: told when the unit serves, closed with it (never null)
     */
    Attached attach(RedundancyRuntime unit);

    /** A feature's part of one unit. */
    interface Attached extends AutoCloseable {

        /** The health thread runs and the lease is kept: scheduled work may start. */
        default void serving() {
        }

        /** The unit is closing (called before its health thread and pools stop). Never throws. */
        @Override
        default void close() {
        }
    }
}
