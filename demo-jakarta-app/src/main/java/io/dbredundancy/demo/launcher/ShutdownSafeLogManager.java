package io.dbredundancy.demo.launcher;

import java.util.logging.LogManager;

/**
 * java.util.logging's manager resets (silences) every handler in its own shutdown hook, which races the demo's
 * graceful shutdown and swallows its log lines. This one defers the reset until the demo has stopped.
 * Selected with {@code -Djava.util.logging.manager=io.dbredundancy.demo.launcher.ShutdownSafeLogManager}
 * (demo.sh does).
 */
public final class ShutdownSafeLogManager extends LogManager {

    private static volatile boolean demoStopped;

    @Override
    public void reset() {
        if (demoStopped || !shuttingDown()) {
            super.reset();
        }
    }

    /** Called by the launcher when its shutdown is complete. */
    static void demoStopped() {
        demoStopped = true;
        LogManager m = LogManager.getLogManager();
        if (m instanceof ShutdownSafeLogManager) {
            m.reset();
        }
    }

    private static boolean shuttingDown() {
        try {
            Thread probe = new Thread(() -> { });
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }
}
