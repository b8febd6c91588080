package dbtool.cli;

import dbtool.Reporter;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Messages go to stderr, so stdout stays clean for results. On a terminal: plain lines and a progress
 * bar. Elsewhere (cron, pipes, log files): timestamped lines and no progress bar.
 */
final class CliReporter implements Reporter {

    private final PrintWriter err;
    private final boolean quiet;
    private final boolean verbose;
    private final boolean interactive;
    private ProgressBar bar;

    CliReporter(PrintWriter err, boolean quiet, boolean verbose, boolean progressAllowed) {
        this.err = err;
        this.quiet = quiet;
        this.verbose = verbose;
        this.interactive = progressAllowed && System.console() != null;
    }

    @Override
    public synchronized void info(String message) {
        if (!quiet) {
            line("info", message);
        }
    }

    @Override
    public synchronized void warn(String message) {
        line("warning", message);
    }

    @Override
    public synchronized void detail(String message) {
        if (verbose) {
            line("detail", message);
        }
    }

    private void line(String level, String message) {
        if (interactive) {
            err.println(level.equals("info") ? message : level + ": " + message);
        } else {
            err.println(Instant.now().truncatedTo(ChronoUnit.SECONDS) + " " + level + " " + message);
        }
        err.flush();
    }

    @Override
    public synchronized void progressStart(String task, long total, String unit) {
        if (!interactive || quiet) {
            return;
        }
        ProgressBarBuilder builder = new ProgressBarBuilder().setTaskName(task)
                .setInitialMax(total > 0 ? total : -1) // 0 means unknown: a counter without a percentage
                .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(System.err));
        if (unit.equals("B")) {
            builder.setUnit(" MiB", 1 << 20);
        } else {
            builder.setUnit(unit, 1);
        }
        bar = builder.build();
    }

    @Override
    public synchronized void progressStep(long delta) {
        if (bar != null) {
            bar.stepBy(delta);
        }
    }

    @Override
    public synchronized void progressBytes(long bytesSoFar) {
        if (bar != null) {
            bar.setExtraMessage(Sizes.human(bytesSoFar) + " packed");
        }
    }

    @Override
    public synchronized void progressEnd() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
