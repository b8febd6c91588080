package dbtool.backup;

import dbtool.DbToolException;
import dbtool.Reporter;
import dbtool.config.BackupSettings;
import dbtool.config.ProjectConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import dbtool.storage.ArchiveStore;
import dbtool.storage.Stores;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Prometheus metrics of backups: {@code backup.metrics_file} (text format, for node_exporter's textfile
 * collector) and {@code backup.pushgateway}. Written after every run, success or failure. Failing to publish is a
 * warning: it never changes the backup's exit code.
 */
public final class BackupMetrics {

    /** Name, help and type of each metric, in the order they are written. */
    public enum Metric {
        LAST_SUCCESS("dbtool_backup_last_success_timestamp_seconds",
                "Unix time of the last backup run that wrote an archive (0: none yet)."),
        LAST_RUN("dbtool_backup_last_run_timestamp_seconds", "Unix time the last backup run ended."),
        LAST_EXIT_CODE("dbtool_backup_last_exit_code",
                "Exit code of the last backup run (0 ok, 7 rows dropped sharply, others failed)."),
        DURATION("dbtool_backup_duration_seconds", "How long the last backup run took."),
        SIZE("dbtool_backup_size_bytes", "Size of the newest archive."),
        ROWS("dbtool_backup_rows", "Total rows of the newest archive."),
        ARCHIVES("dbtool_backup_archives", "Complete archives of the project."),
        DRIFT_TABLES("dbtool_backup_drift_tables", "Tables whose rows dropped sharply in the last backup run.");

        public final String metricName;
        final String help;

        Metric(String metricName, String help) {
            this.metricName = metricName;
            this.help = help;
        }
    }

    private static final Pattern SAMPLE = Pattern.compile("([a-z_]+)\\{project=\"([^\"]*)\"} (\\S+)");

    private final Reporter reporter;
    private final Stores stores;

    /** @param stores opens the project's backup.dir (a directory or a bucket) to count its archives */
    public BackupMetrics(Reporter reporter, Stores stores) {
        this.reporter = reporter;
        this.stores = stores;
    }

    /**
     * Writes the metrics file and pushes, as configured; returns the warnings (also reported). When the backup dir
     * cannot be read (a bucket with wrong credentials: the very failure to alert on), the run's own metrics (exit code,
     * run time, duration, drift) are still published and the others keep their last values.
     */
    public List<String> publish(ProjectConfig project, BackupRun.Outcome outcome, Instant now) {
        BackupSettings settings = project.backup();
        if (settings.metricsFile() == null && settings.pushgateway() == null) {
            return List.of();
        }
        List<String> failures = new ArrayList<>();
        Map<Metric, Double> values = runValues(outcome, now);
        try {
            values.putAll(backupValues(project, outcome, now));
        } catch (DbToolException e) {
            failures.add("only the run's own metrics of " + project.name() + " were updated (exit code, times, drift),"
                    + " not those of its archives: " + e.getMessage());
        }
        if (settings.metricsFile() != null) {
            try {
                write(settings.metricsFile(), project.name(), values);
            } catch (IOException | DbToolException e) {
                failures.add("cannot write metrics file " + settings.metricsFile() + ": " + e.getMessage());
            }
        }
        if (settings.pushgateway() != null) {
            push(settings.pushgateway(), project.name(), values).ifPresent(failures::add);
        }
        failures.forEach(f -> reporter.warn(f + " (the backup's own result is unaffected)"));
        return failures;
    }

    /** What the run itself knows, whatever state the backup dir is in. */
    static Map<Metric, Double> runValues(BackupRun.Outcome outcome, Instant now) {
        Map<Metric, Double> values = new EnumMap<>(Metric.class);
        if (outcome.ok()) {
            values.put(Metric.LAST_SUCCESS, (double) now.getEpochSecond());
        }
        values.put(Metric.LAST_RUN, (double) now.getEpochSecond());
        values.put(Metric.LAST_EXIT_CODE, (double) outcome.exitCode().code());
        values.put(Metric.DURATION, outcome.millis() / 1000.0);
        values.put(Metric.DRIFT_TABLES, (double) outcome.drift().size());
        return values;
    }

    /** What only the project's archives and history tell, read through its store (local or bucket alike). */
    private Map<Metric, Double> backupValues(ProjectConfig project, BackupRun.Outcome outcome, Instant now) {
        BackupDirectory backups = BackupDirectory.open(stores, project);
        try (ArchiveStore store = backups.store()) {
            List<BackupFile> archives = backups.archives();
            List<RunHistory.Entry> history = RunHistory.of(backups).entries();
            Instant lastSuccess = outcome.ok() ? now : null;
            for (RunHistory.Entry e : history) {
                if (e.wroteArchive() && (lastSuccess == null || e.finished().isAfter(lastSuccess))) {
                    lastSuccess = e.finished();
                }
            }
            if (!archives.isEmpty() && (lastSuccess == null || archives.get(0).createdAt().isAfter(lastSuccess))) {
                lastSuccess = archives.get(0).createdAt();
            }
            long rows = archives.isEmpty() ? 0 : RunHistory.tablesOf(backups, archives.get(0), history)
                    .map(t -> t.values().stream().mapToLong(Long::longValue).sum()).orElse(0L);
            Map<Metric, Double> values = new EnumMap<>(Metric.class);
            values.put(Metric.LAST_SUCCESS, lastSuccess == null ? 0.0 : lastSuccess.getEpochSecond());
            values.put(Metric.SIZE, archives.isEmpty() ? 0.0 : archives.get(0).sizeBytes());
            values.put(Metric.ROWS, (double) rows);
            values.put(Metric.ARCHIVES, (double) archives.size());
            return values;
        }
    }

    /**
     * Rewrites the file with this project's lines replaced and every other project's kept, under an OS lock on
     * {@code <file>.lock} (separate runs of different projects may end at once), via a temporary file renamed into
     * place so that node_exporter never reads half a file.
     */
    static void write(Path file, String project, Map<Metric, Double> values) throws IOException {
        Path absolute = file.toAbsolutePath();
        Files.createDirectories(absolute.getParent());
        Path lockFile = absolute.resolveSibling(absolute.getFileName() + ".lock");
        try (FileChannel lock = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                var held = lock.lock()) {
            Map<String, Map<String, String>> samples = read(absolute);
            for (Map.Entry<Metric, Double> v : values.entrySet()) {
                samples.computeIfAbsent(v.getKey().metricName, k -> new TreeMap<>()).put(project, format(v.getValue()));
            }
            Path temp = absolute.resolveSibling("." + absolute.getFileName() + ".tmp");
            Files.writeString(temp, render(samples), StandardCharsets.UTF_8);
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** metric name -> project -> value, of the metrics this class writes; anything else in the file is dropped. */
    static Map<String, Map<String, String>> read(Path file) throws IOException {
        Map<String, Map<String, String>> samples = new LinkedHashMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return samples;
        }
        for (String line : lines) {
            Matcher m = SAMPLE.matcher(line.strip());
            if (m.matches()) {
                samples.computeIfAbsent(m.group(1), k -> new TreeMap<>()).put(m.group(2), m.group(3));
            }
        }
        return samples;
    }

    /** The text format: per metric HELP, TYPE and one line per project (sorted). */
    static String render(Map<String, Map<String, String>> samples) {
        StringBuilder out = new StringBuilder();
        for (Metric metric : Metric.values()) {
            Map<String, String> byProject = samples.get(metric.metricName);
            if (byProject == null || byProject.isEmpty()) {
                continue;
            }
            out.append("# HELP ").append(metric.metricName).append(' ').append(metric.help).append('\n');
            out.append("# TYPE ").append(metric.metricName).append(" gauge\n");
            byProject.forEach((project, value) -> out.append(metric.metricName).append("{project=\"").append(project)
                    .append("\"} ").append(value).append('\n'));
        }
        return out.toString();
    }

    static String format(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15
                ? Long.toString((long) value) : String.format(Locale.ROOT, "%.3f", value);
    }

    /**
     * PUT replaces the group {@code job="dbtool", project="<name>"} as a whole, so a metric that is gone from a run
     * does not linger in the Pushgateway; with only the run's own values (the backup dir was unreadable) POST replaces
     * just those and the others keep their last values, as in the metrics file.
     */
    private static java.util.Optional<String> push(URI base, String project, Map<Metric, Double> values) {
        Map<String, Map<String, String>> samples = new LinkedHashMap<>();
        values.forEach((m, v) -> samples.put(m.metricName, Map.of(project, format(v))));
        String root = base.toString().replaceAll("/+$", "");
        URI target = URI.create(root + "/metrics/job/dbtool/project/" + project);
        String what = "metrics push to " + target;
        try {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            HttpRequest request = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "text/plain; version=0.0.4")
                    .method(values.size() == Metric.values().length ? "PUT" : "POST",
                            HttpRequest.BodyPublishers.ofString(render(samples), StandardCharsets.UTF_8)).build();
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                return java.util.Optional.of(what + " answered HTTP " + response.statusCode() + ": "
                        + response.body().strip());
            }
            return java.util.Optional.empty();
        } catch (IOException | IllegalArgumentException e) {
            return java.util.Optional.of(what + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return java.util.Optional.of(what + " was interrupted");
        }
    }
}
