package io.dbredundancy.demo.system;

import java.time.Instant;
import java.util.Collection;
import java.util.Map;

/**
 * A small JSON writer for the system endpoints (their field order and null handling are part of the API); strings are
 * escaped by the platform's JSON-P.
 */
public final class JsonText {

    private final StringBuilder b = new StringBuilder("{");
    private boolean first = true;

    private JsonText() {
    }

    public static JsonText object() {
        return new JsonText();
    }

    public JsonText put(String key, Object value) {
        if (!first) {
            b.append(',');
        }
        first = false;
        quote(b, key);
        b.append(':');
        value(b, value);
        return this;
    }

    /** Adds already-serialized JSON. */
    public JsonText raw(String key, String json) {
        if (!first) {
            b.append(',');
        }
        first = false;
        quote(b, key);
        b.append(':').append(json);
        return this;
    }

    @Override
    public String toString() {
        return b + "}";
    }

    static void value(StringBuilder b, Object v) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof JsonText j) {
            b.append(j);
        } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long) {
            b.append(v);
        } else if (v instanceof Number n) {
            double d = n.doubleValue();
            b.append(Double.isFinite(d) ? String.valueOf(Math.round(d * 1000) / 1000.0) : "null");
        } else if (v instanceof Instant || v instanceof CharSequence || v instanceof Enum<?>) {
            quote(b, v.toString());
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            boolean f = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!f) {
                    b.append(',');
                }
                f = false;
                quote(b, String.valueOf(e.getKey()));
                b.append(':');
                value(b, e.getValue());
            }
            b.append('}');
        } else if (v instanceof Collection<?> c) {
            b.append('[');
            boolean f = true;
            for (Object o : c) {
                if (!f) {
                    b.append(',');
                }
                f = false;
                value(b, o);
            }
            b.append(']');
        } else if (v instanceof long[] arr) {
            b.append('[');
            for (int i = 0; i < arr.length; i++) {
                b.append(i == 0 ? "" : ",").append(arr[i]);
            }
            b.append(']');
        } else {
            quote(b, v.toString());
        }
    }

    /** Appends {@code s} as a JSON string, escaped by the platform's JSON-P (Jakarta JSON Processing). */
    static void quote(StringBuilder b, String s) {
        b.append(jakarta.json.Json.createValue(s));
    }
}
