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

    /** Depth of flushes running on this thread (entity DML; not bulk). */
    static final ThreadLocal<int[]> FLUSHING = ThreadLocal.withInitial(() -> new int[1]);

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
        if (rt != null && out != null && FLUSHING.get()[0] == 0) {
            String table = mutatedTable(out);
            if (table != null) {
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
        Matcher m = MUTATION.matcher(sql);
        if (!m.find()) {
            return null;
        }
        String t = m.group(2);
        return t.indexOf('"') >= 0 ? t : t.toLowerCase(Locale.ROOT);
    }

    private static String abbreviate(String sql) {
        String s = sql.replaceAll("\\s+", " ").trim();
        return s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }
}
