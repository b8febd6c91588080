package dbtool.verify;

import dbtool.ExitCode;
import java.util.List;

/**
 * The outcome of comparing side A ({@code left}) with side B ({@code right}). Table names are display
 * names, sorted. {@code tablesCompared} counts the relations present on both sides whose rows were
 * compared (plain tables, partitions, materialized views; not partitioned parents), and
 * {@code rowsCompared} sums their rows on side A, for the summary line.
 */
public record ComparisonReport(String left, String right, List<TableDiff> differences, List<String> onlyLeft,
        List<String> onlyRight, int tablesCompared, long rowsCompared, boolean checksummed) {

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
