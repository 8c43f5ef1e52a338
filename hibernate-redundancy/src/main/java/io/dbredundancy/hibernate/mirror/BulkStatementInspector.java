package io.dbredundancy.hibernate.mirror;

import org.hibernate.resource.jdbc.spi.StatementInspector;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sees every SQL statement Hibernate prepares and recognises the mutations that bypass entity events: bulk HQL and
 * Criteria updates/deletes/inserts and native mutation queries (anything that changes rows outside a flush). Their
 * table is marked in {@code redundancy_dirty_table} for the incremental sync. Statements of a flush (the entity and
 * collection changes the journal already carries) are told apart by {@link #FLUSHING}, set by the flush listeners.
 * Wraps the application's own inspector, if any.
 */
final class BulkStatementInspector implements StatementInspector {

    private static final long serialVersionUID = 1L;

    /**
     * True while a flush runs on this thread (entity DML; not bulk). A flag, not a depth: a flush that throws never
     * reaches its end listener, and the next flush (a bulk statement's auto-flush comes first) resets it.
     */
    static final ThreadLocal<boolean[]> FLUSHING = ThreadLocal.withInitial(() -> new boolean[1]);

    /** A data-modifying statement inside a {@code WITH} (its CTEs, or the main statement after them). */
    private static final Pattern WITH = Pattern.compile("^\\s*(?:/\\*.*?\\*/\\s*)*with\\b",
            Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    private static final Pattern INNER_MUTATION = Pattern.compile(
            "(?<![\\w$])(?<!for\\s)(?<!key\\s)(?<!do\\s)(update|delete\\s+from|insert\\s+into|merge\\s+into)\\s+(?:only\\s+)?"
                    + "((?:\"[^\"]+\"|[\\w$]+)(?:\\.(?:\"[^\"]+\"|[\\w$]+))?)",
            Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    private static final Pattern MUTATION = Pattern.compile(
            "^\\s*(?:/\\*.*?\\*/\\s*)*(update|delete\\s+from|insert\\s+into|merge\\s+into|truncate(?:\\s+table)?)\\s+(?:only\\s+)?"
                    + "((?:\"[^\"]+\"|[\\w$]+)(?:\\.(?:\"[^\"]+\"|[\\w$]+))?)",
            Pattern.CASE_INSENSITIVE | Pattern.DOTALL);

    private final StatementInspector delegate;
    private volatile MirrorRuntime runtime;
    private final Map<String, Long> lastMarked = new ConcurrentHashMap<>();

    BulkStatementInspector(StatementInspector delegate) {
        this.delegate = delegate;
    }

    void bind(MirrorRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public String inspect(String sql) {
        String out = delegate == null ? sql : delegate.inspect(sql);
        MirrorRuntime rt = runtime;
        if (rt != null && out != null && !FLUSHING.get()[0]) {
            for (String table : mutatedTables(out)) {
                if (!rt.captureStatement().mirrors(table)) {
                    continue; // a table of no mirrored entity (or the library's own)
                }
                long now = System.currentTimeMillis();
                Long last = lastMarked.get(table);
                if (last == null || now - last > 1_000) {
                    lastMarked.put(table, now);
                    rt.markDirty(table, "bulk or native statement: " + abbreviate(out));
                }
            }
        }
        return out;
    }

    /** The table a mutation statement changes, or null when {@code sql} is not a mutation. */
    static String mutatedTable(String sql) {
        java.util.List<String> tables = mutatedTables(sql);
        return tables.isEmpty() ? null : tables.get(0);
    }

    /**
     * The tables a statement changes: the one of an UPDATE/DELETE/INSERT/MERGE/TRUNCATE, or every table a
     * {@code WITH} statement modifies (in a CTE or after them); empty for a query.
     */
    static java.util.List<String> mutatedTables(String sql) {
        Matcher m = MUTATION.matcher(sql);
        if (m.find()) {
            return java.util.List.of(name(m.group(2)));
        }
        if (!WITH.matcher(sql).find()) {
            return java.util.List.of();
        }
        java.util.List<String> out = new java.util.ArrayList<>(2);
        Matcher inner = INNER_MUTATION.matcher(sql);
        while (inner.find()) {
            String t = name(inner.group(2));
            if (!t.equals("set") && !t.equals("of") && !out.contains(t)) {
                out.add(t);
            }
        }
        return out;
    }

    private static String name(String t) {
        return t.indexOf('"') >= 0 ? t : t.toLowerCase(Locale.ROOT);
    }

    private static String abbreviate(String sql) {
        String s = sql.replaceAll("\\s+", " ").trim();
        return s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }
}
