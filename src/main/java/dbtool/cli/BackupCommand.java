package dbtool.cli;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.backup.BackupRun;
import dbtool.backup.Notifier;
import dbtool.config.ConfigLoader;
import dbtool.config.ProjectConfig;
import dbtool.pg.PgToolLocator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "backup", sortOptions = false, usageHelpAutoWidth = false,
        description = {"Back up projects into their backup.dir, then apply their retention policy.",
            "Meant for cron: one lock per project (exit 5 while another run holds it), timestamped log lines,",
            "notify.on_failure / notify.on_success alerts. With --all a failing project does not stop the others."})
final class BackupCommand implements Callable<Integer> {

    @ParentCommand
    DbTool root;

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    static final class Which {
        @Option(names = "--project", paramLabel = "NAME", description = "Back up this project of the config file.")
        String project;

        @Option(names = "--all", description = "Back up every project of the config file, one after another.")
        boolean all;
    }

    @Option(names = "--verify", description = "Restore each new archive into a throwaway database (on backup.verify_url's"
            + " server, default the source's) and compare row counts before counting it as good (also backup.verify: true).")
    boolean verify;

    @Option(names = "--log", paramLabel = "FILE", description = "Also append the timestamped log lines to FILE.")
    Path log;

    @Mixin
    IdentityOption identity;

    @Override
    public Integer call() {
        ConfigLoader.Config config = root.config();
        List<ProjectConfig> projects = which.all ? List.copyOf(config.projects().values())
                : List.of(config.project(which.project));
        if (projects.isEmpty()) {
            throw DbToolException.usage(config.source() + " defines no projects; add one under projects:");
        }
        List<BackupRun.Outcome> outcomes = new ArrayList<>();
        CliReporter screen = root.reporter(spec);
        try (TeeReporter reporter = TeeReporter.open(screen, log)) {
            reporter.fileOnly("info", "dbtool " + DbTool.version() + " backup of " + String.join(", ",
                    projects.stream().map(ProjectConfig::name).toList()) + " (config " + config.source() + ")");
            BackupRun run = new BackupRun(PgToolLocator.fromSystemEnvironment(), reporter, DbTool.version(), new Notifier(),
                    config.source(), identity.identity, root.stores(config));
            for (ProjectConfig project : projects) {
                screen.project(project.name());
                BackupRun.Outcome outcome = run.run(project, verify);
                outcomes.add(outcome);
                if (outcome.ok()) {
                    reporter.event("info", outcome.drift().isEmpty() ? "backup_ok" : "backup_drift", "backup of "
                            + project.name() + (outcome.drift().isEmpty() ? " ok: " : " written, but rows dropped sharply: ")
                            + outcome.archive() + (outcome.verified() ? " (verified)" : "") + " in "
                            + Sizes.seconds(outcome.millis()),
                            Map.of("archive", outcome.archive(), "size_bytes", outcome.sizeBytes(), "rows", outcome.rows(),
                                    "verified", outcome.verified(), "removed", outcome.removed().size(),
                                    "duration_ms", outcome.millis()));
                } else if (projects.size() > 1) {
                    // With --all each failure is named as it happens; the final line sums them up.
                    reporter.event("warning", "backup_failed", "backup of " + project.name() + " failed (exit "
                            + outcome.exitCode().code() + "): " + outcome.error(),
                            Map.of("exit_code", outcome.exitCode().code(), "error", outcome.error()));
                }
            }
            screen.project(null);
            root.print(spec, json(outcomes), text(outcomes));
            List<BackupRun.Outcome> failed = outcomes.stream().filter(o -> !o.ok()).toList();
            List<String> drifted = outcomes.stream().filter(o -> !o.drift().isEmpty()).map(BackupRun.Outcome::project)
                    .toList();
            if (failed.isEmpty() && !drifted.isEmpty()) {
                // Not a failure (the archives are written and kept), but not a plain success either: exit 7.
                reporter.fileOnly("warning", "finished: " + outcomes.size() + " backup(s) written; rows dropped"
                        + " sharply in " + String.join(", ", drifted));
                return ExitCode.DRIFT.code();
            }
            if (failed.isEmpty()) {
                reporter.fileOnly("info", "finished: " + outcomes.size() + " backup(s) ok");
                return 0;
            }
            DbToolException failure = failure(failed, outcomes.size());
            reporter.fileOnly("error", failure.getMessage());
            throw failure;
        }
    }

    /** One project: its own message and code. Several: each named, and their common code (else 1). */
    private static DbToolException failure(List<BackupRun.Outcome> failed, int total) {
        if (total == 1) {
            BackupRun.Outcome only = failed.get(0);
            return new DbToolException(only.exitCode(), "backup of " + only.project() + " failed: " + only.error(),
                    only.failure());
        }
        ExitCode code = failed.stream().map(BackupRun.Outcome::exitCode).distinct().count() == 1
                ? failed.get(0).exitCode() : ExitCode.RUNTIME;
        List<String> parts = failed.stream().map(o -> o.project() + " (exit " + o.exitCode().code() + ": " + o.error() + ")")
                .toList();
        return new DbToolException(code, failed.size() + " of " + total + " backups failed: " + String.join("; ", parts),
                failed.get(0).failure());
    }

    static Map<String, Object> json(List<BackupRun.Outcome> outcomes) {
        Map<String, Object> json = new LinkedHashMap<>();
        boolean ok = outcomes.stream().allMatch(o -> o.exitCode() == ExitCode.OK);
        json.put("ok", ok);
        json.put("projects", outcomes.stream().map(BackupCommand::json).toList());
        return json;
    }

    private static Map<String, Object> json(BackupRun.Outcome o) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("project", o.project());
        json.put("ok", o.ok());
        json.put("exit_code", o.exitCode().code());
        // Left out rather than null: no error on success, no archive when none was written.
        if (o.error() != null) {
            json.put("error", o.error());
        }
        if (o.archive() != null) {
            json.put("archive", o.archive().toString());
        }
        json.put("size_bytes", o.sizeBytes());
        json.put("rows", o.rows());
        json.put("verified", o.verified());
        json.put("removed", o.removed());
        json.put("kept", o.kept());
        json.put("cleaned_leftovers", o.cleaned());
        json.put("dropped_verify_databases", o.droppedDatabases());
        json.put("drift", o.drift().stream().map(d -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("table", d.table());
            row.put("before", d.before());
            row.put("after", d.after());
            return row;
        }).toList());
        json.put("notify_failures", o.notifyFailures());
        json.put("duration_ms", o.millis());
        return json;
    }

    private String text(List<BackupRun.Outcome> outcomes) {
        List<String> lines = new ArrayList<>();
        for (BackupRun.Outcome o : outcomes) {
            // -q prints nothing on success: cron appends stdout to the .cron file, which is for warnings and errors
            // only; the archive's path is in the --log file.
            if (o.ok() && !root.quiet) {
                lines.add((o.drift().isEmpty() ? "ok      " : "drift   ") + o.project() + "  " + o.archive() + "  " + Sizes.human(o.sizeBytes())
                        + (o.verified() ? "  verified" : "") + "  kept " + o.kept().size() + ", removed "
                        + o.removed().size());
            }
            // Failures are not repeated here: the final line on stderr names each one.
        }
        return String.join(System.lineSeparator(), lines);
    }
}
