package io.dbredundancy.hibernate;

import java.time.Duration;
import java.util.List;

/**
 * What a full or incremental sync (or a repair) did.
 *
 * @param kind          {@code full}, {@code incremental} or {@code repair}
 * @param target        the database written
 * @param rows          rows written (copied or upserted)
 * @param deleted       rows deleted on the target (repair only)
 * @param tables        tables handled in this run
 * @param resumedTables tables skipped because an interrupted earlier run had already finished them
 * @param elapsed       wall time
 */
public record SyncResult(String kind, Node target, long rows, long deleted, List<String> tables,
                         List<String> resumedTables, Duration elapsed) {

    public SyncResult {
        tables = List.copyOf(tables);
        resumedTables = List.copyOf(resumedTables);
    }

    @Override
    public String toString() {
        return kind + " sync to " + target.id() + ": " + rows + " rows written"
                + (deleted > 0 ? ", " + deleted + " deleted" : "") + " in " + tables.size() + " tables"
                + (resumedTables.isEmpty() ? "" : " (" + resumedTables.size() + " already done by an interrupted run)")
                + " in " + elapsed.toMillis() + " ms";
    }
}
