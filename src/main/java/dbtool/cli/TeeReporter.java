package dbtool.cli;

import dbtool.DbToolException;
import dbtool.Reporter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The terminal reporter plus an appended log file ({@code backup --log FILE}). The file always gets every info and
 * warning line with a UTC timestamp and the project's pid, whatever -q says: at 3 a.m. nobody watches stderr, and
 * the file is what someone reads the next morning.
 */
final class TeeReporter implements Reporter, AutoCloseable {

    private final Reporter screen;
    private final PrintWriter file;
    private final long pid = ProcessHandle.current().pid();

    private TeeReporter(Reporter screen, PrintWriter file) {
        this.screen = screen;
        this.file = file;
    }

    /** Without a log file, just the screen. */
    static TeeReporter open(Reporter screen, Path logFile) {
        if (logFile == null) {
            return new TeeReporter(screen, null);
        }
        try {
            Path parent = logFile.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            return new TeeReporter(screen, new PrintWriter(Files.newBufferedWriter(logFile, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE)));
        } catch (IOException e) {
            throw DbToolException.usage("cannot append to log file " + logFile + " (" + e.getMessage()
                    + "); choose another --log");
        }
    }

    @Override
    public void info(String message) {
        screen.info(message);
        toFile("info", message);
    }

    @Override
    public void warn(String message) {
        screen.warn(message);
        toFile("warning", message);
    }

    @Override
    public void detail(String message) {
        screen.detail(message);
    }

    @Override
    public void event(String level, String event, String message, java.util.Map<String, Object> fields) {
        screen.event(level, event, message, fields);
        toFile(level, message);
    }

    /** A line for the log file only: the CLI prints the final error line on stderr itself. */
    void fileOnly(String level, String message) {
        toFile(level, message);
    }

    private synchronized void toFile(String level, String message) {
        if (file != null) {
            file.println(Instant.now().truncatedTo(ChronoUnit.SECONDS) + " [" + pid + "] " + level + " " + message);
            file.flush();
        }
    }

    @Override
    public void progressStart(String task, long total, String unit) {
        screen.progressStart(task, total, unit);
    }

    @Override
    public void progressStart(String task, String unit, Progress progress) {
        screen.progressStart(task, unit, progress);
    }

    @Override
    public void progressStep(long delta) {
        screen.progressStep(delta);
    }

    @Override
    public void progressEnd() {
        screen.progressEnd();
    }

    @Override
    public synchronized void close() {
        if (file != null) {
            file.close();
        }
    }
}
