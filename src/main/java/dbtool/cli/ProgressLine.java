package dbtool.cli;

import java.util.Locale;

/**
 * One progress line, as text: pure, so tests drive it with any width and elapsed time. With a known total:
 * {@code dumping  42% [========>            ] 1.2 GiB of 2.9 GiB  ETA 0:01:05  3 of 8 tables}; without one, a counter
 * and the time spent. The ETA is the remaining amount at the average rate so far: pg_dump's and pg_restore's throughput
 * is steady enough that a moving window would only add jitter. Progress that is not {@code steady} (a whole table at a
 * time) shows the time spent instead of an ETA.
 *
 * @param unit "B" for bytes (shown as KiB/MiB/GiB), else a unit name appended to the counts, e.g. " tables"
 */
record ProgressLine(String task, String unit, long done, long total, long elapsedMillis, String detail, boolean steady) {

    ProgressLine(String task, String unit, long done, long total, long elapsedMillis, String detail) {
        this(task, unit, done, total, elapsedMillis, detail, true);
    }

    /** No ETA before this much time or progress: the first second's rate says nothing. */
    private static final long SETTLE_MILLIS = 2000;

    /** The line, at most {@code width - 1} characters (the last column would make the terminal wrap). */
    String render(int width) {
        StringBuilder counts = new StringBuilder();
        if (total > 0) {
            long shown = Math.min(done, total);
            // "1.2 GiB of 2.9 GiB", "3 of 8 tables"
            counts.append(unit.equals("B") ? Sizes.human(shown) : String.valueOf(shown)).append(" of ").append(amount(total));
            if (done >= total) {
                counts.append("  in ").append(clock(elapsedMillis));
            } else if (!steady) {
                counts.append("  ").append(clock(elapsedMillis));
            } else {
                eta().ifPresent(eta -> counts.append("  ETA ").append(eta));
            }
        } else {
            counts.append(amount(done)).append("  ").append(clock(elapsedMillis));
        }
        if (detail != null && !detail.isEmpty()) {
            counts.append("  ").append(detail);
        }
        String head = task + (total > 0 ? String.format(Locale.ROOT, " %3d%% ", percent()) : " ");
        int barWidth = Math.min(40, width - 1 - head.length() - 3 - counts.length());
        String line = total > 0 && barWidth >= 10 ? head + bar(barWidth) + " " + counts : head + counts;
        return line.length() < width ? line : line.substring(0, Math.max(0, width - 1));
    }

    int percent() {
        return total <= 0 ? 0 : (int) Math.min(100, done * 100 / total);
    }

    private String bar(int inner) {
        int filled = (int) (Math.min(done, total) * inner / total);
        StringBuilder b = new StringBuilder("[");
        b.append("=".repeat(filled));
        if (filled < inner) {
            b.append('>').append(" ".repeat(inner - filled - 1));
        }
        return b.append(']').toString();
    }

    private java.util.Optional<String> eta() {
        if (elapsedMillis < SETTLE_MILLIS || done <= 0) {
            return java.util.Optional.empty();
        }
        double perMilli = (double) done / elapsedMillis;
        return java.util.Optional.of(clock((long) ((total - done) / perMilli)));
    }

    private String amount(long n) {
        return unit.equals("B") ? Sizes.human(n) : n + unit;
    }

    static String clock(long millis) {
        long s = millis / 1000;
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }
}
