package io.dbredundancy.hibernate.testbed;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.stream.Collectors;

/**
 * Captures what the app would show a user: java.util.logging records (root logger plus {@code io.dbredundancy},
 * {@code org.hibernate}, {@code com.zaxxer}, at every level for {@code io.dbredundancy}) with their stack traces,
 * and everything written to System.out/System.err, while still passing it through.
 *
 * <pre>
 * &#64;RegisterExtension
 * final LogCapture logs = new LogCapture();   // per test
 * ...
 * assertThat(logs.text()).doesNotContain(pg.primary().password());
 * </pre>
 * Outside JUnit: {@code try (LogCapture logs = LogCapture.start()) {...}}.
 */
public final class LogCapture implements BeforeEachCallback, AfterEachCallback, AutoCloseable {

    private static final String[] LOGGERS = {"", "io.dbredundancy", "org.hibernate", "com.zaxxer"};

    private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    private final Set<LogRecord> seen = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
    private final Formatter formatter = new SimpleFormatter();
    private final Handler handler = new CapturingHandler();
    private final Map<Logger, Level> oldLevels = new IdentityHashMap<>();
    private final List<Logger> attached = new ArrayList<>();
    private PrintStream oldOut;
    private PrintStream oldErr;
    private boolean active;

    /** Starts capturing now. */
    public static LogCapture start() {
        LogCapture c = new LogCapture();
        c.begin();
        return c;
    }

    private synchronized void begin() {
        if (active) {
            return;
        }
        active = true;
        lines.clear();
        seen.clear();
        handler.setLevel(Level.ALL);
        for (String name : LOGGERS) {
            Logger l = Logger.getLogger(name);
            l.addHandler(handler);
            attached.add(l);
        }
        Logger ours = Logger.getLogger("io.dbredundancy");
        oldLevels.put(ours, ours.getLevel());
        ours.setLevel(Level.ALL);
        oldOut = System.out;
        oldErr = System.err;
        System.setOut(tee(oldOut, "out"));
        System.setErr(tee(oldErr, "err"));
    }

    /** Every captured line so far: log records formatted (with stack traces), then stdout/stderr lines. */
    public List<String> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    /** All captured text in one string. */
    public String text() {
        return String.join("\n", lines());
    }

    public boolean contains(String fragment) {
        return lines().stream().anyMatch(l -> l.contains(fragment));
    }

    public List<String> linesContaining(String fragment) {
        return lines().stream().filter(l -> l.contains(fragment)).collect(Collectors.toList());
    }

    /** Forgets what was captured so far. */
    public void clear() {
        lines.clear();
    }

    @Override
    public synchronized void close() {
        if (!active) {
            return;
        }
        active = false;
        for (Logger l : attached) {
            l.removeHandler(handler);
        }
        attached.clear();
        oldLevels.forEach(Logger::setLevel);
        oldLevels.clear();
        System.out.flush();
        System.err.flush();
        System.setOut(oldOut);
        System.setErr(oldErr);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        begin();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        close();
    }

    private PrintStream tee(PrintStream original, String stream) {
        OutputStream capture = new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();

            @Override
            public synchronized void write(int b) {
                original.write(b);
                if (b == '\n') {
                    flushLine();
                } else {
                    line.write(b);
                }
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) {
                original.write(b, off, len);
                for (int i = off; i < off + len; i++) {
                    if (b[i] == '\n') {
                        flushLine();
                    } else {
                        line.write(b[i]);
                    }
                }
            }

            @Override
            public synchronized void flush() {
                original.flush();
            }

            private void flushLine() {
                lines.add("[" + stream + "] " + line.toString(StandardCharsets.UTF_8));
                line.reset();
            }
        };
        return new PrintStream(capture, true, StandardCharsets.UTF_8);
    }

    private final class CapturingHandler extends Handler {
        @Override
        public void publish(LogRecord record) {
            if (record == null || !seen.add(record)) {
                return; // the same record reaches us from a named logger and from root
            }
            StringBuilder sb = new StringBuilder();
            sb.append(record.getLevel()).append(' ').append(record.getLoggerName()).append(": ");
            try {
                sb.append(formatter.formatMessage(record));
            } catch (RuntimeException e) {
                sb.append(record.getMessage());
            }
            if (record.getThrown() != null) {
                StringWriter sw = new StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(sw));
                sb.append('\n').append(sw);
            }
            lines.add(sb.toString());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
