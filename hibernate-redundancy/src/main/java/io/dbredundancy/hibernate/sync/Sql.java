package io.dbredundancy.hibernate.sync;

import java.util.List;
import java.util.stream.Collectors;

/** Quoting of identifiers and literals for the statements the sync and the mirror build (COPY takes no parameters). */
public final class Sql {

    private Sql() {
    }

    public static String ident(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    /** A string literal; standard_conforming_strings is on in every supported PostgreSQL. */
    public static String literal(String value) {
        if (value == null) {
            return "NULL";
        }
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("NUL character in a key value");
        }
        return '\'' + value.replace("'", "''") + '\'';
    }

    static String typed(String value, String type) {
        return literal(value) + "::" + type;
    }

    static String idents(List<String> names) {
        return names.stream().map(Sql::ident).collect(Collectors.joining(", "));
    }

    /** {@code prefix."a", prefix."b"}. */
    static String qualified(String prefix, List<String> names) {
        return names.stream().map(n -> prefix + "." + ident(n)).collect(Collectors.joining(", "));
    }
}
