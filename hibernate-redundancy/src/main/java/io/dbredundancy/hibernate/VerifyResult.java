package io.dbredundancy.hibernate;

import java.time.Duration;
import java.util.List;

/**
 * The outcome of comparing the two databases by chunked checksums.
 *
 * @param identical   true when every table and every chunk matched
 * @param differences the chunks (tables, key ranges) that differ
 * @param tables      tables compared
 * @param rows        rows compared (as counted on the primary)
 * @param elapsed     wall time
 */
public record VerifyResult(boolean identical, List<Difference> differences, int tables, long rows, Duration elapsed) {

    public VerifyResult {
        differences = List.copyOf(differences);
    }

    /**
     * One chunk that differs.
     *
     * @param table         {@code schema.table}
     * @param fromExclusive lowest key outside the chunk ({@code null}: from the first row), as text
     * @param toInclusive   highest key of the chunk ({@code null}: to the last row), as text
     * @param primaryRows   rows of the chunk on the primary (-1 when the table is missing there)
     * @param secondaryRows rows of the chunk on the secondary (-1 when the table is missing there)
     * @param keys          the keys (as text) of the chunk's rows that differ: on one database only, or with other
     *                      contents; in key order, at most 100 per chunk; {@code null} when not looked up (a repair's
     *                      comparison, a table without a primary key, or more than 32 chunks differ)
     */
    public record Difference(String table, List<String> fromExclusive, List<String> toInclusive, long primaryRows,
                             long secondaryRows, List<List<String>> keys) {

        public Difference {
            keys = keys == null ? null : keys.stream().map(java.util.Collections::unmodifiableList).toList();
        }

        /** A chunk whose differing keys were not looked up. */
        public Difference(String table, List<String> fromExclusive, List<String> toInclusive, long primaryRows,
                          long secondaryRows) {
            this(table, fromExclusive, toInclusive, primaryRows, secondaryRows, null);
        }

        /** {@code (1000, 2000]}, {@code (-∞, 10000]}, {@code whole table}. */
        public String range() {
            if (fromExclusive == null && toInclusive == null) {
                return "whole table";
            }
            return "(" + (fromExclusive == null ? "-∞" : key(fromExclusive)) + ", "
                    + (toInclusive == null ? "+∞" : key(toInclusive)) + "]";
        }

        private static String key(List<String> k) {
            return k.size() == 1 ? k.get(0) : "(" + String.join(", ", k) + ")";
        }

        @Override
        public String toString() {
            if (primaryRows < 0 || secondaryRows < 0) {
                return table + ": missing in the " + (primaryRows < 0 ? "primary" : "secondary") + " database";
            }
            String s = table + " keys " + range() + ": primary " + primaryRows + " rows, secondary " + secondaryRows
                    + " rows" + (primaryRows == secondaryRows ? ", contents differ" : "");
            if (keys != null && !keys.isEmpty()) {
                StringBuilder b = new StringBuilder(s).append("; differing key").append(keys.size() > 1 ? "s " : " ");
                for (int i = 0; i < keys.size(); i++) {
                    b.append(i == 0 ? "" : ", ").append(key(keys.get(i)));
                }
                s = b.append(keys.size() >= 100 ? ", …" : "").toString();
            }
            return s;
        }
    }

    @Override
    public String toString() {
        return (identical ? "identical" : differences.size() + " chunk(s) differ") + ": " + tables + " tables, "
                + rows + " rows compared in " + elapsed.toMillis() + " ms";
    }
}
