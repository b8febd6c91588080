package dbtool.cli;

import dbtool.DbToolException;
import dbtool.backup.BackupDirectory;
import dbtool.backup.BackupFile;
import dbtool.backup.BackupRun;
import dbtool.backup.Notifier;
import dbtool.backup.RunLock;
import dbtool.storage.ArchiveStore;
import dbtool.backup.RunHistory;
import dbtool.config.ConfigLoader;
import dbtool.config.ProjectConfig;
import dbtool.pg.PgToolLocator;
import dbtool.report.HealthCollector;
import dbtool.report.HealthReport;
import dbtool.report.HtmlReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "backups", sortOptions = false, usageHelpAutoWidth = false,
        description = "List a project's backup archives, apply its retention policy now, or report their health.",
        subcommands = {BackupsCommand.ListCommand.class, BackupsCommand.PruneCommand.class,
            BackupsCommand.ReportCommand.class})
final class BackupsCommand implements Runnable {

    @ParentCommand
    DbTool root;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: list, prune or report");
    }

    /** The named project, or every project of the config. */
    static List<ProjectConfig> projects(ConfigLoader.Config config, String project) {
        if (project != null) {
            return List.of(config.project(project));
        }
        if (config.projects().isEmpty()) {
            throw DbToolException.usage(config.source() + " defines no projects; add one under projects:");
        }
        return List.copyOf(config.projects().values());
    }

    static BackupRun backupRun(DbTool root, dbtool.Reporter reporter) {
        ConfigLoader.Config config = root.config();
        return new BackupRun(PgToolLocator.fromSystemEnvironment(), reporter, DbTool.version(), new Notifier(),
                config.source(), null, root.stores(config));
    }

    @Command(name = "list", sortOptions = false, usageHelpAutoWidth = false,
            description = "Every complete archive with its time, size, age and whether it was verified. Leftovers of"
                    + " interrupted runs are not archives and are only counted.")
    static final class ListCommand implements Callable<Integer> {

        @ParentCommand
        BackupsCommand parent;

        @Spec
        CommandSpec spec;

        @Option(names = "--project", paramLabel = "NAME", description = "Only this project (default: all projects).")
        String project;

        @Override
        public Integer call() {
            DbTool root = parent.root;
            Instant now = Instant.now();
            List<Map<String, Object>> json = new ArrayList<>();
            List<String> lines = new ArrayList<>();
            BackupRun run = backupRun(root, root.reporter(spec));
            for (ProjectConfig p : projects(root.config(), project)) {
                BackupDirectory dir = run.open(p);
                try (ArchiveStore store = dir.store()) {
                    list(p, dir, now, lines, json);
                }
            }
            // An object like every other command's document: "ok" first, the archives under a name.
            Map<String, Object> document = new LinkedHashMap<>();
            document.put("ok", true);
            document.put("archives", json);
            root.print(spec, document, String.join(System.lineSeparator(), lines));
            return 0;
        }

        private static void list(ProjectConfig p, BackupDirectory dir, Instant now, List<String> lines,
                List<Map<String, Object>> json) {
            List<BackupFile> archives = dir.archives();
            List<RunHistory.Entry> history = RunHistory.of(dir).entries();
            List<Long> rows = archives.stream().map(f -> RunHistory.tablesOf(dir, f, history)
                    .map(t -> t.values().stream().mapToLong(Long::longValue).sum()).orElse(null)).toList();
            lines.add(p.name() + " (" + dir.location() + "): " + archives.size() + " archive(s)");
            for (int i = 0; i < archives.size(); i++) {
                BackupFile f = archives.get(i);
                Long total = rows.get(i);
                Long previous = i + 1 < archives.size() ? rows.get(i + 1) : null;
                boolean drift = !RunHistory.driftOf(f, history).isEmpty();
                lines.add(String.format("  %-40s  %s  %10s  %8s  %-12s  %12s rows  %-8s%s", f.fileName(),
                        f.createdAt(), Sizes.human(f.sizeBytes()), age(Duration.between(f.createdAt(), now)),
                        f.verified() ? "verified" : "not verified", total == null ? "?" : total,
                        change(total, previous), drift ? "  DRIFT" : "")
                        .stripTrailing() + (f.snapshot() ? "  migration safety snapshot (never pruned)" : ""));
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("project", p.name());
                row.put("archive", f.path());
                row.put("created_at", f.createdAt().toString());
                row.put("size_bytes", f.sizeBytes());
                row.put("age_seconds", Math.max(0, Duration.between(f.createdAt(), now).toSeconds()));
                row.put("verified", f.verified());
                row.put("rows", total);
                row.put("rows_change", total == null || previous == null ? null : total - previous);
                row.put("drift", drift);
                row.put("snapshot", f.snapshot());
                json.add(row);
            }
            if (!BackupRun.policy(p.backup()).isSet()) {
                lines.add("  (" + BackupRun.NO_POLICY + ": nothing is ever deleted)");
            }
            List<BackupDirectory.Leftover> leftovers = dir.leftovers();
            if (!leftovers.isEmpty()) {
                lines.add("  " + leftovers.size() + " leftover(s) of interrupted runs (the next backup of " + p.name()
                        + " removes them; one that stays could not be removed: remove it by hand):");
                leftovers.forEach(l -> lines.add("    " + l.location()));
            }
        }
    }

    @Command(name = "prune", sortOptions = false, usageHelpAutoWidth = false,
            description = {"Apply the retention policy now (keep_last, keep_daily, keep_weekly, keep_monthly), and remove"
                    + " leftovers of interrupted runs. Never removes the newest archive nor the newest verified one.",
                "Takes the project's lock: exits 5 while a backup of it runs."})
    static final class PruneCommand implements Callable<Integer> {

        @ParentCommand
        BackupsCommand parent;

        @Spec
        CommandSpec spec;

        @Option(names = "--project", paramLabel = "NAME", description = "Only this project (default: all projects).")
        String project;

        @Option(names = "--dry-run", description = "Only show what would be removed.")
        boolean dryRun;

        @Option(names = "--yes", description = "Remove without being asked to type the project's name (needed without"
                + " a terminal).")
        boolean yes;

        @Override
        public Integer call() {
            DbTool root = parent.root;
            if (!dryRun) {
                Confirmation.onTerminal(spec.commandLine().getErr()).require(yes, "prune deletes the archives that"
                        + " the retention policy does not keep (see them with --dry-run)", project == null ? "all" : project);
            }
            CliReporter reporter = root.reporter(spec);
            BackupRun run = backupRun(root, reporter);
            List<Map<String, Object>> json = new ArrayList<>();
            List<String> lines = new ArrayList<>();
            String verb = dryRun ? "would remove" : "removed";
            for (ProjectConfig p : projects(root.config(), project)) {
                BackupDirectory dir = run.open(p);
                // Deleting without the lock could take a running backup's files for leftovers.
                try (ArchiveStore store = dir.store(); RunLock lock = createAndLock(dir, p, root)) {
                    lock.takenOverFrom().ifPresent(stale -> reporter.warn("took over the lock of a backup of "
                            + p.name() + " that died (" + stale.describe() + ")"));
                    List<BackupDirectory.Leftover> leftovers = dryRun ? dir.leftovers() : dir.cleanLeftovers(
                            failure -> reporter.warn("could not remove a leftover of an interrupted run: " + failure
                                    + "; remove it by hand"));
                    BackupRun.RetentionOutcome outcome = run.applyRetention(dir, BackupRun.policy(p.backup()), null, dryRun);
                    lines.add(p.name() + " (" + dir.location() + "): keep " + outcome.kept().size() + ", " + verb + " "
                            + outcome.removed().size() + (leftovers.isEmpty() ? ""
                            : ", " + verb + " " + leftovers.size() + " leftover(s) of interrupted runs"));
                    for (int i = 0; i < outcome.kept().size(); i++) {
                        lines.add("  keep    " + fileName(outcome.kept().get(i)) + "  ("
                                + String.join(", ", outcome.reasons().get(i)) + ")");
                    }
                    outcome.removed().forEach(r -> lines.add("  " + (dryRun ? "remove  " : "removed ") + fileName(r)));
                    leftovers.forEach(l -> lines.add("  " + (dryRun ? "remove  " : "removed ") + l.name()
                            + "  (leftover)"));
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("project", p.name());
                    row.put("dry_run", dryRun);
                    row.put("kept", outcome.kept());
                    row.put("removed", outcome.removed());
                    row.put("leftovers", leftovers.stream().map(BackupDirectory.Leftover::location).toList());
                    json.add(row);
                }
            }
            Map<String, Object> document = new LinkedHashMap<>();
            document.put("ok", true);
            document.put("dry_run", dryRun);
            document.put("projects", json);
            root.print(spec, document, String.join(System.lineSeparator(), lines));
            return 0;
        }
    }

    private static RunLock createAndLock(BackupDirectory dir, ProjectConfig p, DbTool root) {
        dir.create(root.config().source());
        return RunLock.acquire(dir.store(), p.name());
    }

    /** The last part of a path or s3:// URL. */
    private static String fileName(String location) {
        return location.substring(location.lastIndexOf('/') + 1);
    }

    /** "+120", "-5000", "0", or "" for the oldest archive (nothing before it) and unknown counts. */
    static String change(Long rows, Long previous) {
        if (rows == null || previous == null) {
            return "";
        }
        long delta = rows - previous;
        return delta > 0 ? "+" + delta : Long.toString(delta);
    }

    @Command(name = "report", sortOptions = false, usageHelpAutoWidth = false,
            description = {"Backup health per project: size and total rows over time (verified, unverified, failed and"
                    + " drift marked), rows of tables that drifted, the retention plan, and warnings (no backup for"
                    + " more than 26 h, drift, nothing verified for more than 7 days, last run failed).",
                "--html writes one self-contained page (inline SVG, nothing fetched); --json prints the same data."})
    static final class ReportCommand implements Callable<Integer> {

        @ParentCommand
        BackupsCommand parent;

        @Spec
        CommandSpec spec;

        @Option(names = "--html", paramLabel = "FILE", description = "Write the report as an HTML page to FILE.")
        Path html;

        @Option(names = "--project", paramLabel = "NAME", description = "Only this project.")
        String project;

        @Option(names = "--all", description = "Every project of the config file (the default).")
        boolean all;

        @Option(names = "--days", paramLabel = "N", defaultValue = "30",
                description = "How many days back the charts reach (default: ${DEFAULT-VALUE}).")
        int days;

        @Override
        public Integer call() {
            DbTool root = parent.root;
            if (project != null && all) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--project and --all are mutually exclusive; give one of them");
            }
            if (days < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--days must be 1 or more, got " + days);
            }
            HealthReport report = new HealthCollector(Instant.now(), days, root.stores(root.config())).collect(projects(root.config(), project));
            if (html != null) {
                writeAtomically(html, HtmlReport.render(report));
            }
            List<String> lines = new ArrayList<>();
            for (HealthReport.Project p : report.projects()) {
                lines.add(p.project() + ": " + (p.warnings().isEmpty() ? "ok" : p.warnings().size() + " warning(s)")
                        + ", " + p.archives() + " archive(s)");
                p.warnings().forEach(w -> lines.add("  " + w));
            }
            if (html != null) {
                lines.add(html.toAbsolutePath().normalize().toString());
            }
            root.print(spec, report, String.join(System.lineSeparator(), lines));
            // Every readable project is reported; the exit code still says that one could not be read.
            List<HealthReport.Project> unreadable = report.projects().stream().filter(p -> p.error() != null).toList();
            if (!unreadable.isEmpty()) {
                spec.commandLine().getErr().println("dbtool: error: the backups of "
                        + String.join(", ", unreadable.stream().map(HealthReport.Project::project).toList())
                        + " could not be read (see the report); fix the storage settings or credentials and run it again");
                return unreadable.get(0).exitCode();
            }
            return 0;
        }

        /** A browser or mail job reading the page must never see half of it. */
        private static void writeAtomically(Path file, String content) {
            Path target = file.toAbsolutePath().normalize();
            Path temp = target.resolveSibling("." + target.getFileName() + ".tmp");
            try {
                Files.writeString(temp, content, StandardCharsets.UTF_8);
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // the write already failed; that is the error to report
                }
                throw DbToolException.usage("cannot write report " + target + ": " + e.getMessage()
                        + "; choose another --html file");
            }
        }
    }

    static String age(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 3600) {
            return s / 60 + "m";
        }
        if (s < 86400 * 2) {
            return s / 3600 + "h" + (s % 3600) / 60 + "m";
        }
        return s / 86400 + "d" + (s % 86400) / 3600 + "h";
    }
}
