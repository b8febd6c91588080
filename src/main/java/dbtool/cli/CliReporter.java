package dbtool.cli;

import dbtool.Reporter;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Messages go to stderr, so stdout stays clean for results. On a terminal (stdin, stdout and stderr): plain lines and a
 * progress bar. Elsewhere (cron, pipes, log files) and with -q or --json: no progress bar, and timestamped lines
 * unless quiet. With {@code --log-format json}: one JSON object per line for log collectors, and no progress bar.
 */
final class CliReporter implements Reporter {

    /** UTC to a tenth of a second: with -v the lines are a timeline, and most phases take less than a second. */
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.S'Z'")
            .withZone(ZoneOffset.UTC);

    private final PrintWriter err;
    private final boolean quiet;
    private final boolean verbose;
    private final boolean interactive;
    private final LogFormat format;
    private volatile String project;
    private TerminalProgress bar;

    CliReporter(PrintWriter err, boolean quiet, boolean verbose, boolean progressAllowed) {
        this(err, quiet, verbose, progressAllowed, LogFormat.TEXT);
    }

    CliReporter(PrintWriter err, boolean quiet, boolean verbose, boolean progressAllowed, LogFormat format) {
        this(err, quiet, verbose, progressAllowed, format, Terminal.interactive());
    }

    /** @param terminal whether stderr (and stdin, stdout) are a terminal; tests pass it in */
    CliReporter(PrintWriter err, boolean quiet, boolean verbose, boolean progressAllowed, LogFormat format,
            boolean terminal) {
        this.err = err;
        this.quiet = quiet;
        this.verbose = verbose;
        this.format = format;
        this.interactive = format == LogFormat.TEXT && progressAllowed && terminal;
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
        if (bar != null) {
            bar.printAbove(() -> printLine(level, message));
        } else {
            printLine(level, message);
        }
    }

    private void printLine(String level, String message) {
        if (format == LogFormat.JSON) {
            err.println(format.line(level, project, "message", Map.of("message", message)));
        } else if (interactive) {
            err.println(level.equals("info") ? message : level + ": " + message);
        } else {
            err.println(TIME.format(Instant.now()) + " " + level + " " + message);
        }
        err.flush();
    }

    /** Counted by {@link #progressStep}: the classic "n of total" progress. */
    private final AtomicLong steps = new AtomicLong();

    @Override
    public synchronized void progressStart(String task, long total, String unit) {
        steps.set(0);
        progressStart(task, unit, Progress.of(steps::get, total));
    }

    @Override
    public synchronized void progressStart(String task, String unit, Progress progress) {
        if (!interactive || quiet) {
            return;
        }
        progressEnd();
        bar = new TerminalProgress(err, task, unit, progress, System::currentTimeMillis, Terminal.width());
    }

    @Override
    public void progressStep(long delta) {
        steps.addAndGet(delta);
    }

    /** Stops the bar's thread, draws its final state and ends its line: nothing drawn after this returns. */
    @Override
    public synchronized void progressEnd() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
