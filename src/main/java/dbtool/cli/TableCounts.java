package dbtool.cli;

import dbtool.archive.Manifest;

/** One wording for how many tables an archive holds, so export, inspect and import agree. */
final class TableCounts {

    private TableCounts() {}

    /** "8 tables", or "8 tables (+ 1 materialized view, 1 partitioned table)". */
    static String describe(Manifest manifest) {
        String tables = plural(manifest.tableCount(), "table");
        long matviews = manifest.countOf(Manifest.Table.MATERIALIZED_VIEW);
        long partitioned = manifest.countOf(Manifest.Table.PARTITIONED);
        if (matviews == 0 && partitioned == 0) {
            return tables;
        }
        StringBuilder others = new StringBuilder();
        if (matviews > 0) {
            others.append(plural(matviews, "materialized view"));
        }
        if (partitioned > 0) {
            others.append(others.isEmpty() ? "" : ", ").append(plural(partitioned, "partitioned table"));
        }
        return tables + " (+ " + others + ")";
    }

    /** "1 table", "2 tables". */
    static String plural(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
