package io.dbredundancy.hibernate.testbed;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * The seed of a randomised test: fixed by default, so that every run draws the same values, another one with
 * {@code -D<property>=…}; when the test fails, the failure carries the seed and the flag that replays it (and it is
 * printed). Register it as a field: {@code @RegisterExtension final Seed seed = new Seed("mirror.faults.seed");}.
 */
public final class Seed implements TestExecutionExceptionHandler {

    /** The seed of every run that does not ask for another. */
    public static final long DEFAULT = 20_261_204L;

    private final String property;
    private final long value;

    public Seed(String property) {
        this.property = property;
        this.value = Long.getLong(property, DEFAULT);
    }

    public long value() {
        return value;
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        String line = context.getDisplayName() + " failed with seed " + value + "; replay with -D" + property + "=" + value;
        System.err.println("[seed] " + line);
        failure.addSuppressed(new Replay(line));
        throw failure;
    }

    /** Not an error: the line a failure report shows with the seed. */
    private static final class Replay extends Exception {
        Replay(String line) {
            super(line, null, false, false);
        }
    }

    @Override
    public String toString() {
        return "seed " + value;
    }
}
