package io.dbredundancy.hibernate.mirror;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The one statement that journals a transaction: it opens the transaction's journal ({@code redundancy_tx_open}:
 * fencing, commit-outcome record) and inserts one journal row per change with the row as it is now, read by a
 * {@code CASE} over every mirrored table that is generated once from the metamodel. The text never changes, so each
 * connection plans it once (a server-side prepared statement) instead of planning dynamic SQL per change.
 * <p>
 * The op stored is what the database holds, not what Hibernate said: a change whose row is gone is a delete, a
 * delete whose row is still there (a soft delete, a row re-inserted in the same transaction) is an update. Collection
 * changes (op C) are journaled without an image: the relay reads the owner's rows when it applies them, so that
 * concurrent changes of one collection all arrive.
 */
final class CaptureStatement {

    /**
     * A mirrored table as Hibernate names it, with the key columns the capture listener journals it by; a collection
     * table (journaled per owner, op C) has none, and names the columns that refer to its owner instead.
     */
    record Table(String name, List<String> keyColumns, List<String> ownerColumns) {
        Table(String name, List<String> keyColumns) {
            this(name, keyColumns, List.of());
        }

        boolean collection() {
            return keyColumns.isEmpty();
        }
    }

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.mirror");

    private final Supplier<List<Table>> source;
    private volatile Map<String, Table> tables;
    private volatile Set<String> names;
    private volatile String sql;

    CaptureStatement(Supplier<List<Table>> source) {
        this.source = source;
    }

    /** True when the statement reads images of {@code table} (else the transaction uses the generic capture). */
    boolean covers(String table) {
        Table t = tables().get(table);
        return t != null && !t.collection();
    }

    /** True when {@code table} (as a statement names it: unquoted names in any case) belongs to a mirrored entity. */
    boolean mirrors(String table) {
        Set<String> n = names;
        if (n == null) {
            n = new java.util.HashSet<>();
            for (String name : tables().keySet()) {
                n.add(normalize(name));
            }
            names = n;
        }
        return n.contains(normalize(table));
    }

    private static String normalize(String name) {
        StringBuilder out = new StringBuilder();
        for (String part : name.split("\\.")) {
            out.append(out.length() == 0 ? "" : ".").append(KeyJson.unquote(part));
        }
        String s = out.toString();
        return s.startsWith("public.") ? s.substring(7) : s;
    }

    private Map<String, Table> tables() {
        Map<String, Table> t = tables;
        if (t == null) {
            t = new LinkedHashMap<>();
            for (Table table : source.get()) {
                t.putIfAbsent(table.name(), table);
            }
            tables = t;
        }
        return t;
    }

    /**
     * The statement; parameters: tx uuid, origin, epoch, epoch, origin, tx uuid, entries json
     * ([{"n","t","op","k"}]). Returns a row per entry: its journal id and the transaction's xid. Built on first use, on {@code connection}, whose catalog
     * names the large-object (oid) columns.
     */
    String sql(Connection connection) throws SQLException {
        String s = sql;
        if (s == null) {
            synchronized (this) {
                s = sql;
                if (s == null) {
                    s = build(connection);
                    sql = s;
                }
            }
        }
        return s;
    }

    private String build(Connection connection) throws SQLException {
        Map<String, Table> all = tables();
        warnUnindexedOwners(connection, all.values());
        Map<String, List<String>> lobs = new LinkedHashMap<>();
        if (!all.values().stream().allMatch(Table::collection)) {
            try (PreparedStatement ps = connection.prepareStatement("SELECT t.name, a.attname FROM unnest(?::text[]) t(name)"
                    + " JOIN pg_attribute a ON a.attrelid = to_regclass(t.name)"
                    + " WHERE a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'oid'::regtype ORDER BY a.attnum")) {
                ps.setArray(1, connection.createArrayOf("text", all.keySet().toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        lobs.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2));
                    }
                }
            }
        }
        StringBuilder image = new StringBuilder();
        if (all.values().stream().allMatch(Table::collection)) {
            image.append("NULL::jsonb");
        } else {
            image.append("CASE e.t");
            for (Table t : all.values()) {
                if (t.collection()) {
                    continue;
                }
                image.append(" WHEN ").append(literal(t.name())).append(" THEN (SELECT to_jsonb(x)");
                List<String> oids = lobs.get(t.name());
                if (oids != null) {
                    // large objects (@Lob on PostgreSQL is an oid column): their content travels with the row
                    image.append(" || coalesce((SELECT jsonb_build_object('$lo', jsonb_object_agg(l.n, encode(lo_get(l.o), 'base64')))"
                            + " FROM (VALUES ");
                    for (int i = 0; i < oids.size(); i++) {
                        image.append(i == 0 ? "" : ", ").append('(').append(literal(oids.get(i))).append(", x.")
                                .append(ident(oids.get(i))).append(')');
                    }
                    image.append(") l(n, o) WHERE l.o IS NOT NULL AND EXISTS (SELECT 1 FROM pg_largeobject_metadata m"
                            + " WHERE m.oid = l.o) HAVING count(*) > 0), '{}'::jsonb)");
                }
                image.append(" FROM ").append(t.name()).append(" x, jsonb_populate_record(null::").append(t.name())
                        .append(", e.k) k WHERE ");
                for (int i = 0; i < t.keyColumns().size(); i++) {
                    String c = ident(t.keyColumns().get(i));
                    image.append(i == 0 ? "" : " AND ").append("x.").append(c).append(" = k.").append(c);
                }
                image.append(')');
            }
            image.append(" END");
        }
        // b is materialized, so the fence runs once; the image subquery is kept apart (OFFSET 0), so it is read once
        // per entry although the op and the image both use it
        return "WITH b AS MATERIALIZED (SELECT redundancy_tx_open(?, ?, ?) AS xid)"
                + " INSERT INTO redundancy_journal (tx_id, epoch, origin, table_name, op, row_key, row_image, outcome_tx)"
                + " SELECT b.xid, ?, ?, e.t::regclass::text,"
                + " CASE WHEN e.op = 'C' THEN 'C' WHEN i.img IS NULL THEN 'D' WHEN e.op = 'D' THEN 'U' ELSE e.op END,"
                + " e.k, i.img, ? FROM b, jsonb_to_recordset(?::jsonb) AS e(n int, t text, op text, k jsonb)"
                + " CROSS JOIN LATERAL (SELECT CASE WHEN e.op = 'C' THEN NULL::jsonb ELSE " + image + " END AS img OFFSET 0) i"
                + " ORDER BY e.n RETURNING id, tx_id";
    }

    /**
     * One WARN line per collection table without an index that starts with its owner columns: the relay reads a
     * changed collection's rows on the origin, and deletes and rewrites them on the standby, by owner, so without one
     * every collection change scans the table on both databases (Hibernate creates no such index for a {@code List}
     * or an element collection without a primary key).
     */
    static void warnUnindexedOwners(Connection connection, java.util.Collection<Table> tables) {
        List<String> names = new ArrayList<>();
        List<String> owners = new ArrayList<>();
        for (Table t : tables) {
            if (t.collection() && !t.ownerColumns().isEmpty()) {
                names.add(t.name());
                owners.add(String.join(",", t.ownerColumns()));
            }
        }
        if (names.isEmpty()) {
            return;
        }
        java.sql.Savepoint savepoint = null;
        try (PreparedStatement ps = connection.prepareStatement("SELECT t.name, t.cols FROM unnest(?::text[], ?::text[]) AS t(name, cols)"
                + " WHERE to_regclass(t.name) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = to_regclass(t.name)"
                + " AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a WHERE a.attrelid = i.indrelid"
                + " AND a.attnum = ANY ((i.indkey::int2[])[0:cardinality(string_to_array(t.cols, ',')) - 1]))"
                + " = (SELECT array_agg(c ORDER BY c) FROM unnest(string_to_array(t.cols, ',')) c))")) {
            // it runs in the application's transaction: a failure must not abort it
            savepoint = connection.getAutoCommit() ? null : connection.setSavepoint();
            ps.setArray(1, connection.createArrayOf("text", names.toArray()));
            ps.setArray(2, connection.createArrayOf("text", owners.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String table = rs.getString(1);
                    String cols = rs.getString(2);
                    LOG.log(System.Logger.Level.WARNING, "[DB-Redundancy] Collection table " + table + " has no index on its"
                            + " owner column(s) " + cols + ": the mirror reads and rewrites a collection's rows by owner, so"
                            + " each change scans the whole table on both databases; create one on both: CREATE INDEX ON "
                            + table + " (" + cols + ")");
                }
            }
            if (savepoint != null) {
                connection.releaseSavepoint(savepoint);
            }
        } catch (SQLException e) {
            // advice only: the capture statement does not depend on it
            if (savepoint != null) {
                try {
                    connection.rollback(savepoint);
                } catch (SQLException ignored) {
                    // the transaction's own statements report a broken connection
                }
            }
            LOG.log(System.Logger.Level.DEBUG, "[DB-Redundancy] Could not check the collection tables' indexes: " + e.getMessage());
        }
    }

    private static String ident(String name) {
        return io.dbredundancy.hibernate.sync.Sql.ident(name);
    }

    private static String literal(String s) {
        return io.dbredundancy.hibernate.sync.Sql.literal(s);
    }
}
