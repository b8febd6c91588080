package dbtool.verify;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Renders a {@link ComparisonReport} as lines for the terminal; the CLI decides where they go. */
public final class ComparisonText {

    private ComparisonText() {}

    /**
     * One line per difference, in table order (a missing table next to its neighbours reads better
     * than in a separate block), then the summary: {@code equal: 12 tables (+ 1 materialized view), 1,234 rows} or
     * {@code 3 differences (12 tables on both sides compared)}; "tables" and rows count as export and import do.
     */
    public static List<String> lines(ComparisonReport report) {
        Map<String, String> byTable = new TreeMap<>();
        report.onlyLeft().forEach(t -> byTable.put(t, t + ": only in A"));
        report.onlyRight().forEach(t -> byTable.put(t, t + ": only in B"));
        report.differences().forEach(d -> byTable.put(d.table(), d.describe()));
        List<String> lines = new ArrayList<>(byTable.values());
        lines.add(summary(report));
        return lines;
    }

    public static String summary(ComparisonReport report) {
        String tables = plural(report.tablesCompared(), "table");
        String matviews = plural(report.materializedViewsCompared(), "materialized view");
        boolean anyMatview = report.materializedViewsCompared() > 0;
        if (report.equal()) {
            return "equal: " + tables + (anyMatview ? " (+ " + matviews + ")" : "") + ", "
                    + plural(report.rowsCompared(), "row") + (report.checksummed() ? ", checksums match" : "");
        }
        return plural(report.differenceCount(), "difference") + " (" + tables + (anyMatview ? ", " + matviews : "")
                + " on both sides compared)";
    }

    private static String plural(long n, String noun) {
        return String.format(Locale.ROOT, "%,d", n) + " " + noun + (n == 1 ? "" : "s");
    }
}
