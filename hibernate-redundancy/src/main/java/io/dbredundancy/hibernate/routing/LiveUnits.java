package io.dbredundancy.hibernate.routing;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The started units of this JVM, for a tenant resolver that Hibernate built without its provider (it then answers for
 * the single live unit, if there is exactly one).
 */
final class LiveUnits {

    private static final Set<RedundancyRuntime> LIVE = ConcurrentHashMap.newKeySet();

    private LiveUnits() {
    }

    static void add(RedundancyRuntime unit) {
        LIVE.add(unit);
    }

    static void remove(RedundancyRuntime unit) {
        LIVE.remove(unit);
    }

    /** The single live runtime of this JVM, or null when there are none or several. */
    static RedundancyRuntime only() {
        return LIVE.size() == 1 ? LIVE.iterator().next() : null;
    }
}
