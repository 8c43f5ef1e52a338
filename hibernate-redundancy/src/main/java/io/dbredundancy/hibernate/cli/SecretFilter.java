package io.dbredundancy.hibernate.cli;

import io.dbredundancy.hibernate.DatabaseUrl;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * What the command line prints goes through here, line by line: every password the command was given (in the
 * environment, on the command line, in the {@code --config} file), as written and percent-encoded, becomes {@code ***},
 * whatever message carries it. The last line of defence behind the messages, which mask URLs themselves
 * ({@link DatabaseUrl#mask}).
 */
final class SecretFilter {

    /** Shorter secrets are left to {@link DatabaseUrl#mask}: masking two letters everywhere would garble the output. */
    static final int MIN_LITERAL = 4;

    private final Set<String> secrets = new ConcurrentSkipListSet<>(
            Comparator.comparingInt(String::length).reversed().thenComparing(Comparator.naturalOrder()));

    /** Masks the passwords {@code value} (a URL, or a password setting when {@code isPassword}) holds from now on. */
    void add(String value, boolean isPassword) {
        if (value == null || value.isEmpty()) {
            return;
        }
        List<String> found = isPassword ? List.of(value) : DatabaseUrl.passwordsIn(value);
        for (String f : found) {
            if (f.length() >= MIN_LITERAL) {
                secrets.add(f);
                secrets.add(URLEncoder.encode(f, StandardCharsets.UTF_8));
                secrets.add(URLEncoder.encode(f, StandardCharsets.UTF_8).replace("+", "%20"));
            }
        }
    }

    String mask(String line) {
        String s = line;
        for (String secret : secrets) {
            s = s.replace(secret, "***");
        }
        return s;
    }

    /** {@code out}, filtered: each line (ended by a newline or a carriage return, or flushed) masked before it passes. */
    PrintStream wrap(PrintStream out) {
        OutputStream filter = new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();

            @Override
            public synchronized void write(int b) {
                line.write(b);
                if (b == '\n' || b == '\r') {
                    pass();
                }
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) {
                for (int i = off; i < off + len; i++) {
                    write(b[i]);
                }
            }

            @Override
            public synchronized void flush() {
                pass();
                out.flush();
            }

            private void pass() {
                if (line.size() > 0) {
                    out.print(mask(line.toString(StandardCharsets.UTF_8)));
                    line.reset();
                }
            }
        };
        return new PrintStream(filter, true, StandardCharsets.UTF_8);
    }
}
