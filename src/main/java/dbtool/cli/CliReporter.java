package dbtool.cli;

import dbtool.Reporter;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Messages go to stderr, so stdout stays clean for results. On a terminal: plain lines and a progress
 * bar. Elsewhere (cron, pipes, log files): timestamped lines and no progress bar. With {@code --log-format json}:
 * one JSON object per line for log collectors, and no progress bar.
 */
final class CliReporter implements Reporter {

    private final PrintWriter err;
    private final boolean quiet;
    private final boolean verbose;
    private final boolean interactive;
    private final LogFormat format;
    private volatile String project;
    private ProgressBar bar;

    CliReporter(PrintWriter err, boolean quiet, boolean verbose, boolean progressAllowed) {
        this(err, quiet, verbose, progressAllowed, LogFormat.TEXT);
    }

    CliReporter(PrintWriter err, boolean quiet, boolean verbose, boolean progressAllowed, LogFormat format) {
        this.err = err;
        this.quiet = quiet;
        this.verbose = verbose;
        this.format = format;
        this.interactive = format == LogFormat.TEXT && progressAllowed && System.console() != null;
    }

    /** The project the following lines are about ({@code "project"} in JSON lines); null for none. */
    void project(String name) {
        this.project = name;
    }

    @Override
    public synchronized void event(String level, String event, String message, Map<String, Object> fields) {
        if (level.equals("info") && quiet) {
            return;
        }
        if (format == LogFormat.JSON) {
            Map<String, Object> all = new LinkedHashMap<>(fields);
            all.put("message", message);
            err.println(format.line(level, project, event, all));
            err.flush();
        } else {
            line(level, message);
        }
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
        if (format == LogFormat.JSON) {
            err.println(format.line(level, project, "message", Map.of("message", message)));
        } else if (interactive) {
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
