package dbtool.verify;

import dbtool.archive.Manifest;
import dbtool.pg.Catalog;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Compares the rows of every table in a database with the counts an archive's manifest promises. */
public final class RowCountCheck {

    /** One table whose count differs; {@code found} is null when the table is missing. */
    public record Mismatch(String table, long expected, Long found) {

        public String describe() {
            return table + ": expected " + expected + " rows, found " + (found == null ? "no such table" : found);
        }
    }

    public record Outcome(int tablesChecked, long rowsChecked, List<Mismatch> mismatches) {

        public boolean passed() {
            return mismatches.isEmpty();
        }
    }

    private RowCountCheck() {}

    public static Outcome run(Connection connection, Manifest manifest) throws SQLException {
        Set<String> present = new HashSet<>();
        for (Catalog.Relation r : Catalog.relations(connection)) {
            present.add(r.schema() + "\u0000" + r.name());
        }
        List<Mismatch> mismatches = new ArrayList<>();
        int tables = 0;
        long rows = 0;
        for (Manifest.Table t : manifest.tables()) {
            if (!t.validated()) {
                continue;
            }
            tables++;
            if (!present.contains(t.schema() + "\u0000" + t.name())) {
                mismatches.add(new Mismatch(t.qualifiedName(), t.rows(), null));
                continue;
            }
            long found = Catalog.countRows(connection, t.schema(), t.name());
            rows += found;
            if (found != t.rows()) {
                mismatches.add(new Mismatch(t.qualifiedName(), t.rows(), found));
            }
        }
        return new Outcome(tables, rows, mismatches);
    }

}
