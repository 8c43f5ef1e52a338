package io.dbredundancy.hibernate.status;

import java.time.Instant;
import java.util.Locale;

/**
 * Internal: a tiny JSON writer for the status snapshot ({@code RedundancyStatus.toJson()}; no JSON library is required
 * by the plugin), and the plugin's one JSON string escaper ({@link #quote}), which the mirror's journal entries use too.
 */
public final class Json {

    private final StringBuilder b = new StringBuilder();
    private boolean first = true;

    public Json open() {
        b.append('{');
        first = true;
        return this;
    }

    public Json close() {
        b.append('}');
        first = false;
        return this;
    }

    private Json key(String k) {
        if (!first) {
            b.append(',');
        }
        first = false;
        string(k);
        b.append(':');
        return this;
    }

    public Json field(String k, String v) {
        key(k);
        if (v == null) {
            b.append("null");
        } else {
            string(v);
        }
        return this;
    }

    public Json field(String k, Instant v) {
        return field(k, v == null ? null : v.toString());
    }

    public Json field(String k, boolean v) {
        key(k);
        b.append(v);
        return this;
    }

    public Json field(String k, long v) {
        key(k);
        b.append(v);
        return this;
    }

    public Json field(String k, Long v) {
        key(k);
        b.append(v == null ? "null" : v.toString());
        return this;
    }

    public Json field(String k, double v) {
        key(k);
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            b.append("null");
        } else {
            b.append(String.format(Locale.ROOT, "%.1f", v));
        }
        return this;
    }

    public Json object(String k) {
        key(k);
        return open();
    }

    public Json raw(String k, String json) {
        key(k);
        b.append(json);
        return this;
    }

    private void string(String s) {
        quote(b, s);
    }

    /** Appends {@code s} as a JSON string: quoted, with quotes, backslashes and control characters escaped. */
    public static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    @Override
    public String toString() {
        return b.toString();
    }
}
