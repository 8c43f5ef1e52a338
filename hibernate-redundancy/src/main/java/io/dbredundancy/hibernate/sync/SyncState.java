package io.dbredundancy.hibernate.sync;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code redundancy_sync_state} table on the target: per-table completion of full copies and the watermarks
 * of the incremental sync. Same definition as {@code db/redundancy/sync.xml}.
 */
final class SyncState {

    static final String TABLE = "redundancy_sync_state";
    static final String FULL = "full";
    static final String INCREMENTAL = "incremental";
    static final String RUN = "*";

    static final String DDL = """
            create table if not exists redundancy_sync_state (
              task          text        not null,
              table_name    text        not null,
              source        text        not null,
              status        text        not null,
              rows_copied   bigint      not null default 0,
              watermark     text,
              watermark_key text[],
              updated_at    timestamptz not null default now(),
              primary key (task, table_name))""";

    record Row(String table, String source, String status, long rows, String watermark, List<String> watermarkKey) {
    }

    private SyncState() {
    }

    static void ensure(Connection c) throws SQLException {
        if (!exists(c, TABLE)) {
            try (Statement s = c.createStatement()) {
                s.execute(DDL);
            }
        }
    }

    static boolean exists(Connection c, String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select to_regclass(?) is not null")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    static Map<String, Row> read(Connection c, String task) throws SQLException {
        Map<String, Row> rows = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("select table_name, source, status, rows_copied, watermark,"
                + " watermark_key from redundancy_sync_state where task = ?")) {
            ps.setString(1, task);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Array a = rs.getArray(6);
                    List<String> key = a == null ? null : Arrays.asList((String[]) a.getArray());
                    rows.put(rs.getString(1), new Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4),
                            rs.getString(5), key));
                }
            }
        }
        return rows;
    }

    static void put(Connection c, String task, String table, String source, String status, long rows, String watermark,
                    List<String> key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                insert into redundancy_sync_state (task, table_name, source, status, rows_copied, watermark, watermark_key, updated_at)
                values (?, ?, ?, ?, ?, ?, ?, now())
                on conflict (task, table_name) do update set source = excluded.source, status = excluded.status,
                  rows_copied = excluded.rows_copied, watermark = excluded.watermark,
                  watermark_key = excluded.watermark_key, updated_at = now()""")) {
            ps.setString(1, task);
            ps.setString(2, table);
            ps.setString(3, source);
            ps.setString(4, status);
            ps.setLong(5, rows);
            ps.setString(6, watermark);
            ps.setArray(7, key == null ? null : c.createArrayOf("text", key.toArray()));
            ps.executeUpdate();
        }
    }

    static void clear(Connection c, String task) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("delete from redundancy_sync_state where task = ?")) {
            ps.setString(1, task);
            ps.executeUpdate();
        }
    }
}
