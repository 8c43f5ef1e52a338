package io.dbredundancy.hibernate.sync;

import io.dbredundancy.hibernate.SyncException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Reads the user tables of a database from pg_catalog; the library's own tables are never synced. */
final class Catalog {

    static final String LIBRARY_PREFIX = "redundancy_";

    private static final String TABLES = """
            select n.nspname, c.relname, c.reltuples
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind = 'r' and not c.relispartition
              and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'
              and c.relname not like 'redundancy\\_%' and c.relname not like 'databasechangelog%'
            order by 1, 2""";

    private static final String COLUMNS = """
            select n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attidentity
            from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
            where c.relkind = 'r' and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
              and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'
            order by n.nspname, c.relname, a.attnum""";

    private static final String PRIMARY_KEYS = """
            select n.nspname, c.relname, a.attname
            from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
            cross join lateral unnest(k.conkey) with ordinality as u(attnum, pos)
            join pg_attribute a on a.attrelid = c.oid and a.attnum = u.attnum
            where k.contype = 'p'
            order by n.nspname, c.relname, u.pos""";

    private static final String FOREIGN_KEYS = """
            select n.nspname, c.relname, rn.nspname, r.relname
            from pg_constraint k
            join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
            join pg_class r on r.oid = k.confrelid join pg_namespace rn on rn.oid = r.relnamespace
            where k.contype = 'f'""";

    private Catalog() {
    }

    /** All user tables, by {@code schema.table}, in foreign-key order (referenced tables first). */
    static Map<String, TableInfo> load(Connection c) throws SQLException {
        Map<String, double[]> tables = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(TABLES); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                tables.put(rs.getString(1) + "." + rs.getString(2), new double[]{rs.getDouble(3)});
            }
        }
        Map<String, List<TableInfo.Column>> columns = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(COLUMNS); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String id = rs.getString(1) + "." + rs.getString(2);
                if (tables.containsKey(id)) {
                    columns.computeIfAbsent(id, k -> new ArrayList<>()).add(
                            new TableInfo.Column(rs.getString(3), rs.getString(4), "a".equals(rs.getString(5))));
                }
            }
        }
        Map<String, List<String>> keys = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(PRIMARY_KEYS); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                keys.computeIfAbsent(rs.getString(1) + "." + rs.getString(2), k -> new ArrayList<>()).add(rs.getString(3));
            }
        }
        Map<String, Set<String>> refs = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(FOREIGN_KEYS); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String from = rs.getString(1) + "." + rs.getString(2);
                String to = rs.getString(3) + "." + rs.getString(4);
                if (!from.equals(to)) {
                    refs.computeIfAbsent(from, k -> new HashSet<>()).add(to);
                }
            }
        }
        Map<String, TableInfo> infos = new HashMap<>();
        for (Map.Entry<String, double[]> e : tables.entrySet()) {
            String id = e.getKey();
            int dot = id.indexOf('.');
            List<TableInfo.Column> cols = columns.getOrDefault(id, List.of());
            String updatedAt = null;
            for (TableInfo.Column col : cols) {
                if (col.name().equals("updated_at") && col.type().startsWith("timestamp")) {
                    updatedAt = col.name();
                }
            }
            infos.put(id, new TableInfo(id.substring(0, dot), id.substring(dot + 1), cols,
                    keys.getOrDefault(id, List.of()), refs.getOrDefault(id, Set.of()), updatedAt, e.getValue()[0]));
        }
        return inForeignKeyOrder(infos);
    }

    /** Topological order: a table after every table it references (cycles are broken in name order). */
    static Map<String, TableInfo> inForeignKeyOrder(Map<String, TableInfo> infos) {
        Map<String, TableInfo> ordered = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(infos.keySet());
        names.sort(null);
        Set<String> visiting = new HashSet<>();
        for (String n : names) {
            visit(n, infos, ordered, visiting);
        }
        return ordered;
    }

    private static void visit(String n, Map<String, TableInfo> infos, Map<String, TableInfo> ordered, Set<String> visiting) {
        if (ordered.containsKey(n) || !infos.containsKey(n) || !visiting.add(n)) {
            return;
        }
        List<String> parents = new ArrayList<>(infos.get(n).references);
        parents.sort(null);
        for (String p : parents) {
            visit(p, infos, ordered, visiting);
        }
        ordered.put(n, infos.get(n));
    }

    /**
     * Selects the tables named in {@code filter} ({@code table} or {@code schema.table}); all of them when the filter
     * is empty.
     */
    static Map<String, TableInfo> select(Map<String, TableInfo> all, Collection<String> filter) {
        if (filter == null || filter.isEmpty()) {
            return all;
        }
        Set<String> wanted = new HashSet<>();
        for (String f : filter) {
            String name = f.trim();
            if (name.isEmpty()) {
                continue;
            }
            String match = null;
            for (String id : all.keySet()) {
                if (id.equals(name) || id.equals("public." + name)
                        || (!name.contains(".") && id.endsWith("." + name) && match == null)) {
                    match = id;
                }
            }
            if (match == null) {
                throw new SyncException("Table '" + name + "' does not exist in the source database (known: "
                        + String.join(", ", shortNames(all.keySet())) + ")");
            }
            wanted.add(match);
        }
        Map<String, TableInfo> out = new LinkedHashMap<>();
        all.forEach((k, v) -> {
            if (wanted.contains(k)) {
                out.put(k, v);
            }
        });
        return out;
    }

    private static List<String> shortNames(Collection<String> ids) {
        List<String> out = new ArrayList<>();
        for (String id : ids) {
            out.add(id.startsWith("public.") ? id.substring(7) : id);
        }
        return out.size() > 20 ? out.subList(0, 20) : out;
    }

    /** Fails with one line when a source table is missing on the target or its columns differ. */
    static void requireSameShape(Collection<TableInfo> source, Map<String, TableInfo> target, String targetName) {
        for (TableInfo t : source) {
            TableInfo other = target.get(t.id());
            if (other == null) {
                throw new SyncException("Table " + t.id() + " is missing in the " + targetName
                        + " database; create the schema there first (redundancy migrate)");
            }
            Map<String, String> otherCols = new HashMap<>();
            for (TableInfo.Column c : other.columns) {
                otherCols.put(c.name(), c.type());
            }
            for (TableInfo.Column c : t.columns) {
                String type = otherCols.get(c.name());
                if (type == null) {
                    throw new SyncException("Column " + t.id() + "." + c.name() + " is missing in the " + targetName
                            + " database; migrate both databases to the same schema first");
                }
                if (!type.toLowerCase(Locale.ROOT).equals(c.type().toLowerCase(Locale.ROOT))) {
                    throw new SyncException("Column " + t.id() + "." + c.name() + " is " + c.type() + " in the source but "
                            + type + " in the " + targetName + " database; migrate both to the same schema first");
                }
            }
        }
    }
}
