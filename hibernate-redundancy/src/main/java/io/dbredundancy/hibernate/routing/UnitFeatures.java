package io.dbredundancy.hibernate.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link UnitFeature}s attached to one unit, in the order of their service file, and the parts they keep on it
 * (found again by type).
 */
final class UnitFeatures {

    private static final List<UnitFeature> FEATURES = ServiceLoader.load(UnitFeature.class,
            UnitFeature.class.getClassLoader()).stream().map(ServiceLoader.Provider::get).toList();

    private final List<UnitFeature.Attached> attached = new ArrayList<>();
    private final Map<Class<?>, Object> parts = new ConcurrentHashMap<>();

    void attachAll(RedundancyRuntime unit) {
        for (UnitFeature f : FEATURES) {
            attached.add(f.attach(unit));
        }
    }

    void serving() {
        attached.forEach(UnitFeature.Attached::serving);
    }

    <T> void put(Class<T> type, T part) {
        parts.put(type, type.cast(part));
    }

    <T> T get(Class<T> type) {
        return type.cast(parts.get(type));
    }

    /** Closes the attached parts, the last attached first. */
    void close() {
        for (int i = attached.size() - 1; i >= 0; i--) {
            attached.get(i).close();
        }
    }
}
