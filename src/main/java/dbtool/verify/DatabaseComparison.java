package dbtool.verify;

import dbtool.DbToolException;
import dbtool.Reporter;
import dbtool.archive.Manifest;
import dbtool.verify.SideSnapshot.TableSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The core of {@code dbtool compare}: reads side A, then side B, each as one consistent whole, and
 * lists every difference. Row counts always; with {@code checksum} also an order-independent content
 * checksum of every plain table (partitions included). Partitioned parents are not compared
 * themselves (their rows are their partitions', which are); materialized views by count only, since
 * they are derived data that a restore or refresh rebuilds.
 */
public final class DatabaseComparison {

    private DatabaseComparison() {}

    public static ComparisonReport compare(ComparisonSide a, ComparisonSide b, boolean checksum, Reporter reporter) {
        if (checksum) {
            // Checked before connecting anywhere: a usage error should not cost a slow scan of side A.
            for (ComparisonSide side : List.of(a, b)) {
                if (!side.supportsChecksum()) {
                    throw DbToolException.usage("--checksum needs a database on both sides, but " + side.label()
                            + " is an archive manifest with row counts only; drop --checksum to compare counts");
                }
            }
        }
        SideSnapshot left = a.read(checksum, reporter);
        SideSnapshot right = b.read(checksum, reporter);
        return diff(left, right, checksum);
    }

    /** Pure: compares what two sides hold. {@code checksum} says whether both were read with checksums. */
    public static ComparisonReport diff(SideSnapshot a, SideSnapshot b, boolean checksum) {
        Map<TableName, TableSnapshot> left = index(a);
        Map<TableName, TableSnapshot> right = index(b);
        TreeSet<TableName> names = new TreeSet<>(left.keySet());
        names.addAll(right.keySet());

        List<TableDiff> differences = new ArrayList<>();
        List<String> onlyLeft = new ArrayList<>();
        List<String> onlyRight = new ArrayList<>();
        int compared = 0;
        int matviews = 0;
        long rows = 0;
        for (TableName name : names) {
            TableSnapshot l = left.get(name);
            TableSnapshot r = right.get(name);
            String table = name.display();
            if (r == null) {
                onlyLeft.add(table);
                continue;
            }
            if (l == null) {
                onlyRight.add(table);
                continue;
            }
            long lr = l.rows() == null ? TableDiff.UNKNOWN_ROWS : l.rows();
            long rr = r.rows() == null ? TableDiff.UNKNOWN_ROWS : r.rows();
            if (!l.kind().equals(r.kind())) {
                differences.add(new TableDiff(table, lr, rr, null, null, TableDiff.KIND,
                        "kind differs: " + kindName(l.kind()) + " in A, " + kindName(r.kind()) + " in B"));
                continue;
            }
            if (l.kind().equals(Manifest.Table.PARTITIONED)) {
                continue;
            }
            if (l.kind().equals(Manifest.Table.MATERIALIZED_VIEW)) {
                matviews++;
            } else {
                compared++;
                rows += Math.max(lr, 0);
            }
            TableDiff difference;
            if (l.kind().equals(Manifest.Table.MATERIALIZED_VIEW) && (l.rows() == null) != (r.rows() == null)) {
                // A manifest or catalog has no count for a materialized view that was never populated.
                difference = new TableDiff(table, lr, rr, null, null, TableDiff.POPULATED,
                        "materialized view populated in " + (l.rows() == null ? "B" : "A") + " only");
            } else if (checksum && l.kind().equals(Manifest.Table.TABLE)) {
                difference = checksummed(table, l, r, lr, rr);
            } else {
                difference = lr == rr ? null : new TableDiff(table, lr, rr, null, null, TableDiff.ROWS, null);
            }
            if (difference != null) {
                differences.add(difference);
            }
        }
        return new ComparisonReport(a.label(), b.label(), differences, onlyLeft, onlyRight, compared, matviews, rows,
                checksum);
    }

    private static TableDiff checksummed(String table, TableSnapshot l, TableSnapshot r, long lr, long rr) {
        if (!Objects.equals(l.columns(), r.columns())) {
            // The checksum hashes each row's text, which lists the values in column order: with other
            // columns (or the same in another order) equal data would still hash differently.
            return new TableDiff(table, lr, rr, null, null, TableDiff.COLUMNS, columnDifference(l.columns(), r.columns()));
        }
        if (lr != rr) {
            return new TableDiff(table, lr, rr, l.checksum(), r.checksum(), TableDiff.ROWS, null);
        }
        if (!Objects.equals(l.checksum(), r.checksum())) {
            return new TableDiff(table, lr, rr, l.checksum(), r.checksum(), TableDiff.CONTENT, null);
        }
        return null;
    }

    /** The first column that differs, short enough for one line even for wide tables. */
    static String columnDifference(List<String> a, List<String> b) {
        List<String> left = a == null ? List.of() : a;
        List<String> right = b == null ? List.of() : b;
        for (int i = 0; i < Math.min(left.size(), right.size()); i++) {
            if (!left.get(i).equals(right.get(i))) {
                return "column " + (i + 1) + ": " + left.get(i) + " vs " + right.get(i);
            }
        }
        return left.size() + " columns vs " + right.size();
    }

    private static String kindName(String kind) {
        return kind.replace('_', ' ');
    }

    private static Map<TableName, TableSnapshot> index(SideSnapshot side) {
        Map<TableName, TableSnapshot> byName = new TreeMap<>();
        for (TableSnapshot t : side.tables()) {
            byName.put(t.tableName(), t);
        }
        return byName;
    }
}
