package dbtool.report;

import dbtool.DbToolException;
import dbtool.Reporter;
import dbtool.backup.BackupDirectory;
import dbtool.backup.BackupFile;
import dbtool.backup.BackupRun;
import dbtool.backup.RunHistory;
import dbtool.backup.TableDrift;
import dbtool.config.ProjectConfig;
import dbtool.storage.ArchiveStore;
import dbtool.storage.Stores;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Gathers a project's backup health from what is already there: its archives (through {@link BackupDirectory}),
 * its {@link RunHistory} (failed runs, drift) and its retention policy. Reads only; takes no lock.
 */
public final class HealthCollector {
    /** A nightly backup that is later than this is overdue (a day plus slack for a slow night). */
    public static final Duration OVERDUE = Duration.ofHours(26);
    /** Without a verified archive for this long, the backups are not known to restore. */
    public static final Duration UNVERIFIED = Duration.ofDays(7);

    private final Instant now;
    private final int days;
    private final Stores stores;

    /** @param stores opens each project's backup.dir, a local directory or a bucket */
    public HealthCollector(Instant now, int days, Stores stores) {
        this.now = now;
        this.days = days;
        this.stores = stores;
    }

    public HealthReport collect(List<ProjectConfig> projects) {
        return new HealthReport(now.toString(), days, projects.stream().map(this::project).toList());
    }

    /**
     * One project's health; a project whose backups cannot be read becomes a project with that error, so one bad
     * bucket does not hide the health of every other project.
     */
    HealthReport.Project project(ProjectConfig config) {
        BackupDirectory backups;
        try {
            backups = BackupDirectory.open(stores, config);
        } catch (DbToolException e) {
            return HealthReport.Project.unreadable(config.name(), config.backup().location(), e.getMessage(),
                    e.exitCode().code());
        }
        try (ArchiveStore store = backups.store()) {
            return project(config, backups);
        } catch (DbToolException e) {
            return HealthReport.Project.unreadable(config.name(), backups.location(), e.getMessage(),
                    e.exitCode().code());
        }
    }

    private HealthReport.Project project(ProjectConfig config, BackupDirectory backups) {
        List<BackupFile> archives = backups.archives();
        List<RunHistory.Entry> history = RunHistory.of(backups).entries();
        Instant from = now.minus(Duration.ofDays(days));

        List<HealthReport.Point> points = new ArrayList<>();
        Map<BackupFile, Map<String, Long>> tables = new LinkedHashMap<>();
        for (BackupFile f : archives) {
            if (f.createdAt().isBefore(from)) {
                continue;
            }
            Optional<Map<String, Long>> rows = RunHistory.tablesOf(backups, f, history);
            rows.ifPresent(r -> tables.put(f, r));
            List<TableDrift> drift = RunHistory.driftOf(f, history);
            points.add(new HealthReport.Point(f.createdAt().toString(), status(f, drift), f.fileName(), f.sizeBytes(),
                    rows.map(r -> r.values().stream().mapToLong(Long::longValue).sum()).orElse(null), f.verified(),
                    drift.isEmpty() ? 0 : 7, null, drift));
        }
        for (RunHistory.Entry e : history) {
            if (!e.wroteArchive() && !e.finished().isBefore(from)) {
                points.add(new HealthReport.Point(e.finishedAt(), HealthReport.Status.FAILED, e.archive(), null, null,
                        false, e.exitCode(), e.error(), List.of()));
            }
        }
        points.sort(Comparator.comparing(HealthReport.Point::instant));

        return new HealthReport.Project(config.name(), backups.location(), archives.size(),
                archives.isEmpty() ? null : archives.get(0).fileName(),
                archives.isEmpty() ? null : archives.get(0).createdAt().toString(),
                points, driftedTables(points, tables), retention(config, backups, archives),
                warnings(archives, history, points), null, 0);
    }

    private static HealthReport.Status status(BackupFile f, List<TableDrift> drift) {
        if (!drift.isEmpty()) {
            return HealthReport.Status.DRIFT;
        }
        return f.verified() ? HealthReport.Status.VERIFIED : HealthReport.Status.UNVERIFIED;
    }

    /** Every table that drifted in the window, with its rows in each archive of the window. */
    private static List<HealthReport.TableSeries> driftedTables(List<HealthReport.Point> points,
            Map<BackupFile, Map<String, Long>> tables) {
        TreeSet<String> drifted = new TreeSet<>();
        points.forEach(p -> p.drift().forEach(d -> drifted.add(d.table())));
        List<HealthReport.TableSeries> series = new ArrayList<>();
        for (String table : drifted) {
            List<HealthReport.TablePoint> rows = new ArrayList<>();
            for (HealthReport.Point p : points) {
                if (p.status() == HealthReport.Status.FAILED) {
                    continue;
                }
                tables.entrySet().stream().filter(e -> e.getKey().fileName().equals(p.archive())).findFirst()
                        .ifPresent(e -> rows.add(new HealthReport.TablePoint(p.time(), p.archive(), p.status(),
                                e.getValue().get(table))));
            }
            series.add(new HealthReport.TableSeries(table, rows));
        }
        return series;
    }

    /** What {@code backups prune} would do now, computed as its dry run does, without printing. */
    private static List<HealthReport.PlanRow> retention(ProjectConfig config, BackupDirectory backups,
            List<BackupFile> archives) {
        BackupRun planner = new BackupRun(null, Reporter.SILENT, null, null, null);
        BackupRun.RetentionOutcome plan = planner.applyRetention(backups, BackupRun.policy(config.backup()), null, true);
        Map<String, BackupFile> byPath = new LinkedHashMap<>();
        archives.forEach(a -> byPath.put(a.path(), a));
        List<HealthReport.PlanRow> rows = new ArrayList<>();
        for (int i = 0; i < plan.kept().size(); i++) {
            BackupFile f = byPath.get(plan.kept().get(i));
            rows.add(new HealthReport.PlanRow(f.fileName(), f.createdAt().toString(), true, plan.reasons().get(i)));
        }
        for (String removed : plan.removed()) {
            BackupFile f = byPath.get(removed);
            rows.add(new HealthReport.PlanRow(f.fileName(), f.createdAt().toString(), false,
                    List.of("no retention rule keeps it")));
        }
        rows.sort(Comparator.comparing(HealthReport.PlanRow::createdAt).reversed());
        return rows;
    }

    private List<String> warnings(List<BackupFile> archives, List<RunHistory.Entry> history,
            List<HealthReport.Point> points) {
        List<String> warnings = new ArrayList<>();
        if (archives.isEmpty()) {
            warnings.add("overdue: no backup at all");
        } else {
            Duration age = Duration.between(archives.get(0).createdAt(), now);
            if (age.compareTo(OVERDUE) > 0) {
                warnings.add("overdue: the newest backup is " + hours(age) + " old (more than "
                        + OVERDUE.toHours() + " h)");
            }
            List<TableDrift> drift = RunHistory.driftOf(archives.get(0), history);
            if (!drift.isEmpty()) {
                warnings.add("drift: rows dropped sharply in " + archives.get(0).fileName() + ": " + String.join("; ",
                        drift.stream().map(TableDrift::describe).toList()));
            }
            Optional<BackupFile> verified = archives.stream().filter(BackupFile::verified).findFirst();
            Instant since = verified.map(BackupFile::createdAt).orElse(archives.get(archives.size() - 1).createdAt());
            if (Duration.between(since, now).compareTo(UNVERIFIED) > 0) {
                warnings.add(verified.isPresent()
                        ? "unverified: the newest verified backup is " + hours(Duration.between(since, now))
                                + " old; run backup --verify"
                        : "unverified: no backup was restored for a test in more than " + UNVERIFIED.toDays()
                                + " days; run backup --verify");
            }
        }
        if (!history.isEmpty() && !history.get(history.size() - 1).wroteArchive()) {
            RunHistory.Entry last = history.get(history.size() - 1);
            warnings.add("failed: the last backup run (" + last.finishedAt() + ") failed with exit " + last.exitCode()
                    + (last.error() == null ? "" : ": " + last.error()));
        }
        return warnings;
    }

    private static String hours(Duration d) {
        long h = d.toHours();
        return h >= 48 ? h / 24 + " days" : h + " h";
    }
}
