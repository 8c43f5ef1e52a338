package io.dbredundancy.hibernate.testbed;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Last line of defence: whatever the bed started and nobody closed is closed when the JVM exits. */
final class Cleanup {

    private static final Set<AutoCloseable> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Thread hook = new Thread(() -> {
            for (AutoCloseable c : OPEN.toArray(new AutoCloseable[0])) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // best effort at exit
                }
            }
        }, "testbed-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    private Cleanup() {
    }

    static void register(AutoCloseable c) {
        OPEN.add(c);
    }

    static void unregister(AutoCloseable c) {
        OPEN.remove(c);
    }
}
