package io.dbredundancy.hibernate.mirror;

import java.time.temporal.TemporalAccessor;
import java.util.HexFormat;

/**
 * Writes a row key ({column: value}) as JSON text in the form PostgreSQL's {@code jsonb_populate_record} reads back
 * into the column's type. The same code writes every key, so equal keys are equal jsonb on both databases.
 */
final class KeyJson {

    private final StringBuilder sb = new StringBuilder(48).append('{');
    private boolean first = true;

    KeyJson put(String column, Object value) {
        if (!first) {
            sb.append(',');
        }
        first = false;
        string(sb, unquote(column));
        sb.append(':');
        value(sb, value);
        return this;
    }

    boolean isEmpty() {
        return first;
    }

    @Override
    public String toString() {
        return sb + "}";
    }

    /** Column names as Hibernate renders them may be quoted ({@code "Order"}); jsonb keys are the bare name. */
    static String unquote(String column) {
        if (column.length() > 1 && (column.charAt(0) == '"' || column.charAt(0) == '`')) {
            return column.substring(1, column.length() - 1);
        }
        // PostgreSQL folds unquoted identifiers to lower case
        return column.toLowerCase(java.util.Locale.ROOT);
    }

    static void value(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Number || v instanceof Boolean) {
            if (v instanceof Double d && (d.isNaN() || d.isInfinite()) || v instanceof Float f && (f.isNaN() || f.isInfinite())) {
                string(sb, v.toString());
            } else {
                sb.append(v);
            }
        } else if (v instanceof byte[] bytes) {
            string(sb, "\\x" + HexFormat.of().formatHex(bytes));
        } else if (v instanceof Enum<?> e) {
            string(sb, e.name());
        } else if (v instanceof java.sql.Timestamp ts) {
            string(sb, ts.toLocalDateTime().toString());
        } else if (v instanceof java.sql.Date d) {
            string(sb, d.toLocalDate().toString());
        } else if (v instanceof java.sql.Time t) {
            string(sb, t.toLocalTime().toString());
        } else if (v instanceof TemporalAccessor) {
            string(sb, v.toString());
        } else {
            string(sb, v.toString());
        }
    }

    static void string(StringBuilder sb, String s) {
        io.dbredundancy.hibernate.status.Json.quote(sb, s);
    }
}
