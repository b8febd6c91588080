package dbtool.verify;

import dbtool.ExitCode;
import java.util.List;

/**
 * The outcome of comparing side A ({@code left}) with side B ({@code right}). Table names are display
 * names, sorted. {@code tablesCompared} counts the tables present on both sides whose rows were compared (plain
 * tables and partitions: "tables" as export, inspect and import count them), {@code materializedViewsCompared} the
 * materialized views compared beside them, and {@code rowsCompared} sums the tables' rows on side A, for the summary
 * line. Partitioned parents hold no rows of their own and are not compared.
 */
public record ComparisonReport(String left, String right, List<TableDiff> differences, List<String> onlyLeft,
        List<String> onlyRight, int tablesCompared, int materializedViewsCompared, long rowsCompared,
        boolean checksummed) {

    public ComparisonReport {
        differences = List.copyOf(differences);
        onlyLeft = List.copyOf(onlyLeft);
        onlyRight = List.copyOf(onlyRight);
    }

    public boolean equal() {
        return differences.isEmpty() && onlyLeft.isEmpty() && onlyRight.isEmpty();
    }

    /** Differing tables plus tables missing on either side. */
    public int differenceCount() {
        return differences.size() + onlyLeft.size() + onlyRight.size();
    }

    /** 0 when equal, 3 (validation failed) otherwise: the documented status of {@code dbtool compare}. */
    public ExitCode exitCode() {
        return equal() ? ExitCode.OK : ExitCode.VALIDATION;
    }
}
