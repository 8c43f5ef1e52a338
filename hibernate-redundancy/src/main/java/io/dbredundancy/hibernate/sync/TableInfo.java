package io.dbredundancy.hibernate.sync;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One user table as the sync sees it: the columns it copies (generated columns left out), the primary key, the
 * tables it references, and its {@code updated_at} column if it has one.
 */
final class TableInfo {

    record Column(String name, String type, boolean identityAlways) {
    }

    final String schema;
    final String name;
    final List<Column> columns;
    final List<String> primaryKey;
    final Set<String> references;
    final String updatedAt;
    final double estimatedRows;

    TableInfo(String schema, String name, List<Column> columns, List<String> primaryKey, Set<String> references,
              String updatedAt, double estimatedRows) {
        this.schema = schema;
        this.name = name;
        this.columns = List.copyOf(columns);
        this.primaryKey = List.copyOf(primaryKey);
        this.references = Set.copyOf(references);
        this.updatedAt = updatedAt;
        this.estimatedRows = estimatedRows;
    }

    /** {@code schema.table}, unquoted: the name in messages, options and the sync state. */
    String id() {
        return schema + "." + name;
    }

    String sqlName() {
        return Sql.ident(schema) + "." + Sql.ident(name);
    }

    List<String> columnNames() {
        List<String> names = new ArrayList<>();
        for (Column c : columns) {
            names.add(c.name());
        }
        return names;
    }

    String columnList() {
        return Sql.idents(columnNames());
    }

    boolean hasPrimaryKey() {
        return !primaryKey.isEmpty();
    }

    boolean hasIdentityAlways() {
        return columns.stream().anyMatch(Column::identityAlways);
    }

    String typeOf(String column) {
        for (Column c : columns) {
            if (c.name().equals(column)) {
                return c.type();
            }
        }
        throw new IllegalArgumentException(column);
    }

    /** {@code ("a", "b")} of the primary key, qualified by {@code alias} when not null. */
    String keyTuple(String alias) {
        return "(" + (alias == null ? Sql.idents(primaryKey) : Sql.qualified(alias, primaryKey)) + ")";
    }

    /** {@code ('1'::bigint, 'x'::text)}: a key value read as text, typed back. */
    String keyLiteral(List<String> values) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < primaryKey.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(Sql.typed(values.get(i), typeOf(primaryKey.get(i))));
        }
        return b.append(')').toString();
    }

    /** The key columns cast to text, for reading key values: {@code "a"::text, "b"::text}. */
    String keyAsText(String alias) {
        StringBuilder b = new StringBuilder();
        for (String k : primaryKey) {
            b.append(b.length() == 0 ? "" : ", ").append(alias == null ? "" : alias + ".").append(Sql.ident(k)).append("::text");
        }
        return b.toString();
    }

    /** A WHERE condition selecting keys in {@code (lo, hi]}; a null bound is open. */
    String rangeCondition(String alias, List<String> lo, List<String> hi) {
        String key = keyTuple(alias);
        List<String> parts = new ArrayList<>();
        if (lo != null) {
            parts.add(key + " > " + keyLiteral(lo));
        }
        if (hi != null) {
            parts.add(key + " <= " + keyLiteral(hi));
        }
        return parts.isEmpty() ? "true" : String.join(" AND ", parts);
    }

    @Override
    public String toString() {
        return id();
    }
}
