package io.dbredundancy.hibernate.metrics;

/**
 * Whether Micrometer is on the classpath. Safe to call without Micrometer: this class references none of its
 * types; everything that does lives in other classes of this package and is loaded only after this check.
 */
public final class MetricsSupport {

    private static final boolean PRESENT = detect();

    private MetricsSupport() {
    }

    /** True when {@code io.micrometer.core.instrument.MeterRegistry} can be loaded by the plugin's class loader. */
    public static boolean micrometerPresent() {
        return PRESENT;
    }

    private static boolean detect() {
        try {
            Class.forName("io.micrometer.core.instrument.MeterRegistry", false, MetricsSupport.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
