package dbtool.migrate;

import java.time.Duration;

/** Durations in migrate's one-line messages, in the config's own units: 500ms, 2s, 1m30s, 2h5m, 7d. */
public final class Durations {
    private Durations() {}

    /**
     * Every non-zero unit from days down to milliseconds, so a sub-second lock_timeout reads 500ms, never 0s.
     * Below a millisecond (and negative, e.g. clock skew) is 0s.
     */
    public static String format(Duration d) {
        if (d.isNegative()) {
            return "0s";
        }
        StringBuilder s = new StringBuilder();
        append(s, d.toDays(), "d");
        append(s, d.toHoursPart(), "h");
        append(s, d.toMinutesPart(), "m");
        append(s, d.toSecondsPart(), "s");
        append(s, d.toMillisPart(), "ms");
        return s.length() == 0 ? "0s" : s.toString();
    }

    private static void append(StringBuilder s, long amount, String unit) {
        if (amount > 0) {
            s.append(amount).append(unit);
        }
    }
}
