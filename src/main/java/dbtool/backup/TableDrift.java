package dbtool.backup;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dbtool.config.DriftSettings;

/**
 * One table whose rows dropped sharply between two backups of a project.
 *
 * @param table {@code schema.name}
 * @param after rows now, or null when the table is gone
 */
public record TableDrift(String table, long before, Long after) {

    /** "public.orders 10000 -> 5000 rows (-50%)", or "... -> gone". */
    public String describe() {
        if (after == null) {
            return table + " " + before + " -> gone (table missing)";
        }
        double percent = before == 0 ? 0 : 100.0 * (after - before) / before;
        return table + " " + before + " -> " + after + " rows (" + String.format(Locale.ROOT, "%.1f", percent) + "%)";
    }

    /**
     * The tables that lost more than {@code maxDropPercent} of their rows, or disappeared, among those that had at
     * least {@code minRows} before. Growth is never a drift. Sorted by table name.
     *
     * @param before rows per table of the previous backup
     * @param after rows per table of this backup
     */
    public static List<TableDrift> between(Map<String, Long> before, Map<String, Long> after, DriftSettings settings) {
        List<TableDrift> drifts = new ArrayList<>();
        if (!settings.enabled()) {
            return drifts;
        }
        for (Map.Entry<String, Long> old : before.entrySet()) {
            long was = old.getValue();
            if (was < settings.minRows() || was == 0) {
                continue;
            }
            Long now = after.get(old.getKey());
            if (now == null || (was - now) * 100.0 / was > settings.maxDropPercent()) {
                drifts.add(new TableDrift(old.getKey(), was, now));
            }
        }
        drifts.sort((a, b) -> a.table().compareTo(b.table()));
        return drifts;
    }
}
