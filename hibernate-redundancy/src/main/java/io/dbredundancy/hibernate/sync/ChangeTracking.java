package io.dbredundancy.hibernate.sync;

import io.dbredundancy.hibernate.SyncException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The change tracking of a source database ({@code db/redundancy/sync-tracking.xml}): statement-level triggers on the
 * tracked tables write the keys every statement changed into {@code redundancy_changes}, with the writing transaction's
 * id. An incremental run remembers, on the target, the source's snapshot it caught up to (sync-state task
 * {@value #TASK}); the next run reads the keys written by the transactions that snapshot did not see, copies those
 * rows from the source, deletes those the source no longer has, and prunes the changes every later snapshot sees.
 * <p>
 * A table's changes can be caught up from the log only when the log provably holds all of them since that snapshot:
 * tracking installed (four triggers, enabled) before it, nothing pruned that it did not see, the same key columns,
 * no TRUNCATE since. Else {@link #unprovable} says why and the sync compares the table in full. What it cannot see: a
 * tracking trigger disabled and enabled again in between, or a write made with {@code session_replication_role =
 * replica} (which the mirror's relay and the sync use for what they copy from the other database).
 */
final class ChangeTracking {

    /** The sync-state task of the snapshot a tracked table was caught up to, kept on the target per table. */
    static final String TASK = "tracked";

    private ChangeTracking() {
    }

    /** Whether {@code c} has the tracking objects (the library's changelog, PostgreSQL 13 or later). */
    static boolean available(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "select to_regclass('redundancy_change_tracking') is not null and to_regclass('redundancy_changes') is not null"
                        + " and to_regproc('redundancy_track_table') is not null")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /**
     * Installs the tracking on those of {@code tables} that have a primary key and are not tracked yet (each in its
     * own transaction: {@code CREATE TRIGGER} waits for the table's writers). Returns the tables it installed.
     * {@code database} names the database in the error when the tracking objects are missing.
     */
    static List<String> install(Connection c, Collection<TableInfo> tables, String database) throws SQLException {
        if (!available(c)) {
            throw new SyncException("Change tracking is not installed in the " + database + ": the library's changelog"
                    + " (db/redundancy/sync-tracking.xml, PostgreSQL 13 or later) is missing; run `redundancy migrate` first");
        }
        List<String> installed = new ArrayList<>();
        for (TableInfo t : tables) {
            if (!t.hasPrimaryKey() || tracked(c, t)) {
                continue;
            }
            try (PreparedStatement ps = c.prepareStatement("select redundancy_track_table(?::regclass)")) {
                ps.setString(1, t.sqlName());
                ps.execute();
            }
            installed.add(t.id());
        }
        return installed;
    }

    private static boolean tracked(Connection c, TableInfo t) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select k.key_columns = ?::text[] and " + TRIGGERS
                + " = 4 from redundancy_change_tracking k where k.table_name = ?")) {
            ps.setArray(1, c.createArrayOf("text", t.primaryKey.toArray()));
            ps.setString(2, t.sqlName());
            ps.setString(3, t.id());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /** The table's enabled tracking triggers (parameter: the table's SQL name). */
    private static final String TRIGGERS = "(select count(*) from pg_trigger g where g.tgrelid = ?::regclass"
            + " and g.tgname in ('redundancy_track_insert', 'redundancy_track_update', 'redundancy_track_delete',"
            + " 'redundancy_track_truncate') and g.tgenabled in ('O', 'A'))";

    /** Whether tracking was installed on {@code t} (its triggers may since have been dropped or disabled). */
    static boolean installed(Connection sc, TableInfo t) throws SQLException {
        try (PreparedStatement ps = sc.prepareStatement("select 1 from redundancy_change_tracking where table_name = ?")) {
            ps.setString(1, t.id());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Whether the table is tracked since before {@code snapshot} (a full comparison then starts its tracking). */
    static boolean trackedBefore(Connection sc, TableInfo t, String snapshot) throws SQLException {
        try (PreparedStatement ps = sc.prepareStatement("select pg_visible_in_snapshot(k.since, ?::pg_snapshot) and "
                + TRIGGERS + " = 4 and k.key_columns = ?::text[] from redundancy_change_tracking k where k.table_name = ?")) {
            ps.setString(1, snapshot);
            ps.setString(2, t.sqlName());
            ps.setArray(3, sc.createArrayOf("text", t.primaryKey.toArray()));
            ps.setString(4, t.id());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /**
     * Why the changes of {@code t} since the snapshot {@code row} holds cannot be caught up from the log of the source
     * {@code sc} (in the run's transaction), or null when they can.
     */
    static String unprovable(Connection sc, TableInfo t, SyncState.Row row, String source) throws SQLException {
        if (row == null || row.watermark() == null) {
            return "no tracked run from the " + source + " database yet";
        }
        if (!source.equals(row.source())) {
            return "the last tracked run came from the " + row.source() + " database";
        }
        try (PreparedStatement ps = sc.prepareStatement("select k.key_columns = ?::text[],"
                + " pg_visible_in_snapshot(k.since, ?::pg_snapshot), k.pruned_below <= pg_snapshot_xmin(?::pg_snapshot),"
                + " " + TRIGGERS + " = 4,"
                + " exists (select 1 from redundancy_changes c where c.table_name = k.table_name and c.keys is null"
                + " and c.xid >= pg_snapshot_xmin(?::pg_snapshot) and not pg_visible_in_snapshot(c.xid, ?::pg_snapshot))"
                + " from redundancy_change_tracking k where k.table_name = ?")) {
            ps.setArray(1, sc.createArrayOf("text", t.primaryKey.toArray()));
            ps.setString(2, row.watermark());
            ps.setString(3, row.watermark());
            ps.setString(4, t.sqlName());
            ps.setString(5, row.watermark());
            ps.setString(6, row.watermark());
            ps.setString(7, t.id());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return "change tracking is not installed on it (sync --track)";
                }
                if (!rs.getBoolean(1)) {
                    return "its primary key changed since the tracking was installed";
                }
                if (!rs.getBoolean(2)) {
                    return "the tracking was installed after the last run";
                }
                if (!rs.getBoolean(3)) {
                    return "the changes since the last run were pruned (the last run is older than the change log)";
                }
                if (!rs.getBoolean(4)) {
                    return "a tracking trigger is missing or disabled";
                }
                if (rs.getBoolean(5)) {
                    return "it was truncated since the last run";
                }
                return null;
            }
        }
    }

    /** The column of the tracked run's temp table that marks a key the source no longer has. */
    static final String GONE = "redundancy_gone";

    /**
     * The source's rows of the keys the transactions {@code snapshot} did not see wrote for {@code t}, in
     * {@link TableInfo#columnList()} order and then {@link #GONE}: a key the source no longer has comes alone (its
     * other columns null) with {@code GONE} true. The keys sorted, so the key index is read in order.
     */
    static String changedRows(TableInfo t, String snapshot) {
        String s = Sql.literal(snapshot) + "::pg_snapshot";
        StringBuilder order = new StringBuilder();
        for (int i = 1; i <= t.primaryKey.size(); i++) {
            order.append(i == 1 ? "" : ", ").append(i);
        }
        String keys = "select distinct " + typedKeys(t, "e") + " from redundancy_changes c"
                + " cross join lateral jsonb_array_elements(c.keys) e"
                + " where c.table_name = " + Sql.literal(t.id()) + " and c.xid >= pg_snapshot_xmin(" + s + ")"
                + " and not pg_visible_in_snapshot(c.xid, " + s + ") order by " + order;
        StringBuilder cols = new StringBuilder();
        for (String c : t.columnNames()) {
            cols.append(cols.length() == 0 ? "" : ", ").append(t.primaryKey.contains(c) ? "k." : "x.").append(Sql.ident(c));
        }
        return "select " + cols + ", x.ctid is null from (" + keys + ") k left join " + t.sqlName() + " x on "
                + t.keyTuple("x") + " = " + t.keyTuple("k");
    }

    /**
     * A condition on {@code alias}'s key: in the keys {@code select} returns ({@code "… from …"}, without its
     * {@code select}). A one-column key as {@code = any(array(…))}, sorted index lookups.
     */
    static String keyIn(TableInfo t, String alias, String select) {
        if (t.primaryKey.size() == 1) {
            return alias + "." + Sql.ident(t.primaryKey.get(0)) + " = any(array(select " + select + "))";
        }
        return t.keyTuple(alias) + " in (select " + select + ")";
    }

    /** The key columns typed back from a jsonb array {@code e}: {@code (e->>0)::bigint as "id", …}. */
    static String typedKeys(TableInfo t, String e) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < t.primaryKey.size(); i++) {
            b.append(i == 0 ? "" : ", ").append('(').append(e).append("->>").append(i).append(")::")
                    .append(t.typeOf(t.primaryKey.get(i))).append(" as ").append(Sql.ident(t.primaryKey.get(i)));
        }
        return b.toString();
    }

    /** After a run that caught {@code t} up to {@code snapshot}: drops the changes every later snapshot sees. */
    static void prune(Connection sc, TableInfo t, String snapshot) throws SQLException {
        try (PreparedStatement ps = sc.prepareStatement("with gone as (delete from redundancy_changes where table_name = ?"
                + " and xid < pg_snapshot_xmin(?::pg_snapshot))"
                + " update redundancy_change_tracking set pruned_below = greatest(pruned_below, pg_snapshot_xmin(?::pg_snapshot))"
                + " where table_name = ?")) {
            ps.setString(1, t.id());
            ps.setString(2, snapshot);
            ps.setString(3, snapshot);
            ps.setString(4, t.id());
            ps.executeUpdate();
        }
    }

    /** The snapshot of the current transaction of {@code c}, as text. */
    static String snapshot(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select pg_current_snapshot()::text")) {
            rs.next();
            return rs.getString(1);
        }
    }
}
