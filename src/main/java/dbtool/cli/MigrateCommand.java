package dbtool.cli;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.archive.ArchiveName;
import dbtool.archive.Compression;
import dbtool.backup.BackupDirectory;
import dbtool.backup.RunLock;
import dbtool.config.ConfigLoader;
import dbtool.config.ConnectionSettings;
import dbtool.config.ProjectConfig;
import dbtool.migrate.AppliedMigration;
import dbtool.migrate.Durations;
import dbtool.migrate.LintRefusal;
import dbtool.migrate.MigrateOptions;
import dbtool.migrate.MigrateReport;
import dbtool.migrate.Migrator;
import dbtool.migrate.PendingMigration;
import dbtool.pg.PgToolLocator;
import dbtool.storage.ArchiveStore;
import dbtool.storage.Stores;
import dbtool.transfer.ExportOptions;
import dbtool.transfer.Exporter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "migrate", sortOptions = false, usageHelpAutoWidth = false,
        description = {"Apply versioned migrations after a safety snapshot; contract_ steps wait for --contract.",
            "Files are V<n>__<description>.sql; each runs with short lock timeouts and retries, and its",
            "'-- dbtool:verify' checks run inside its transaction.",
            "Holds the project's backup lock: exits 5 while a backup of the project runs."})
final class MigrateCommand implements Callable<Integer> {

    @ParentCommand
    DbTool root;

    @Spec
    CommandSpec spec;

    @Option(names = "--project", paramLabel = "NAME", required = true, description = "The project to migrate.")
    String project;

    @Option(names = "--dir", paramLabel = "DIR", description = "Migrations directory (default: config 'migrations', else migrations/<project>).")
    Path dir;

    @Option(names = "--target", paramLabel = "VERSION", description = "Apply up to and including this version.")
    String targetVersion;

    @Option(names = "--dry-run", description = "List what would run, with lint findings; touch nothing.")
    boolean dryRun;

    @Option(names = "--contract", description = "Also apply contract_ steps whose interim period has passed.")
    boolean contract;

    @Option(names = "--force", description = "With --contract: do not wait for the interim period.")
    boolean force;

    @Option(names = "--no-snapshot", description = "Skip the safety snapshot before migrating (not recommended).")
    boolean noSnapshot;

    @Override
    public Integer call() {
        ConfigLoader.Config config = root.config();
        ProjectConfig projectConfig = config.project(project);
        ConnectionSettings connection = projectConfig.connection();
        CliReporter reporter = root.reporter(spec);
        // The snapshot goes where the project's backups go (a directory or a bucket), under the same lock.
        Stores stores = root.stores(config).with(projectConfig.storage());
        BackupDirectory backups = BackupDirectory.open(root.stores(config), projectConfig);
        Migrator migrator = new Migrator(reporter, () -> {
            try (var export = new Exporter(PgToolLocator.fromSystemEnvironment(), reporter, DbTool.version(), stores)
                    .export(new ExportOptions(project, connection, backups.location(),
                            Runtime.getRuntime().availableProcessors(), Compression.GZIP, List.of(), List.of(),
                            projectConfig.encryption().encryption(), false, false, ArchiveName.Kind.SNAPSHOT))) {
                return export.archive().location();
            }
        });
        MigrateOptions options = new MigrateOptions(connection, dir != null ? dir : projectConfig.migrate().dir(),
                targetVersion, dryRun, contract, force, !noSnapshot, projectConfig.migrate());
        if (dryRun) {
            return dryRun(migrator, options);
        }
        // The safety snapshot's work files sit in the backup dir, where a backup or prune of this project running
        // meanwhile would delete them as leftovers of an interrupted run; the project lock keeps those out.
        try (ArchiveStore store = backups.store(); RunLock lock = lock(backups, config)) {
            lock.takenOverFrom().ifPresent(stale -> reporter.warn("took over the lock of a run of " + project
                    + " that died (" + stale.describe() + ")"));
            MigrateReport report = migrator.migrate(options);
            root.print(spec, json(report), text(report));
            return ExitCode.OK.code();
        }
    }

    /** Touches nothing, so takes no lock. */
    private int dryRun(Migrator migrator, MigrateOptions options) {
        try {
            MigrateReport report = migrator.migrate(options);
            root.print(spec, json(report), text(report));
            return ExitCode.OK.code();
        } catch (LintRefusal e) {
            if (!root.json) {
                throw e; // the plan and the findings are on stderr already; the error line says what to do
            }
            // Scripts read only stdout: the one document carries the plan and the findings, not just the error.
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("ok", false);
            json.put("exit_code", e.exitCode().code());
            json.put("error", e.getMessage());
            json.putAll(json(new MigrateReport(e.plan(), List.of(), null, true)));
            root.print(spec, json, null);
            return e.exitCode().code();
        }
    }

    private RunLock lock(BackupDirectory backups, ConfigLoader.Config config) {
        try {
            backups.create(config.source());
            return RunLock.acquire(backups.store(), project);
        } catch (DbToolException e) {
            if (e.exitCode() != ExitCode.LOCKED) {
                throw e;
            }
            throw new DbToolException(ExitCode.LOCKED, "not migrating project '" + project + "', nothing was"
                    + " changed: " + e.getMessage(), e);
        }
    }

    private static Map<String, Object> json(MigrateReport report) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("dry_run", report.dryRun());
        json.put("snapshot", report.snapshot());
        json.put("applied", report.applied());
        json.put("would_apply", report.dryRun() ? report.plan().toApply().stream().map(PendingMigration::script).toList()
                : List.of());
        json.put("held_back", report.heldBack().stream().map(PendingMigration::script).toList());
        json.put("warnings", report.plan().warnings());
        json.put("lint_findings", report.plan().lintFindings().stream().map(f -> Map.of("rule", f.rule(),
                "file", f.file().toString(), "line", f.line(), "message", f.message(),
                "safe_alternative", f.safeAlternative())).toList());
        return json;
    }

    private static String text(MigrateReport report) {
        List<String> lines = new ArrayList<>();
        if (report.dryRun()) {
            report.plan().toApply().forEach(m -> lines.add("would apply " + m.script()));
        }
        for (AppliedMigration m : report.applied()) {
            lines.add("applied " + m.script() + " in " + Durations.format(Duration.ofMillis(m.millis()))
                    + (m.retries() > 0 ? " after " + m.retries() + " lock retries" : ""));
        }
        report.heldBack().forEach(m -> lines.add("held back " + m.script()));
        if (report.snapshot() != null) {
            lines.add("safety snapshot: " + report.snapshot());
        }
        if (lines.isEmpty()) {
            lines.add("nothing to apply");
        }
        return String.join("\n", lines);
    }
}
