package dbtool.cli;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.config.ConfigLoader;
import dbtool.config.ConnectionSettings;
import dbtool.pg.PgToolLocator;
import dbtool.transfer.CopyOptions;
import dbtool.transfer.CopyResult;
import dbtool.transfer.Copier;
import dbtool.verify.RowCountCheck;
import dbtool.verify.TableDiff;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "copy", sortOptions = false, usageHelpAutoWidth = false,
        description = {"Copy one database into another without an archive: one snapshot of the",
            "source, a parallel restore, every table's row count proven against it."})
final class CopyCommand implements Callable<Integer> {

    @ParentCommand
    DbTool root;

    @Spec
    CommandSpec spec;

    @Option(names = "--from", paramLabel = "PROJECT", description = "The source: a project from the config file.")
    String fromProject;

    @Option(names = "--from-url", paramLabel = "URL", description = "The source: a database URL.")
    String fromUrl;

    @Option(names = "--to", paramLabel = "PROJECT", description = "The target: a project from the config file.")
    String toProject;

    @Option(names = "--to-url", paramLabel = "URL", description = "The target: a database URL (created when missing).")
    String toUrl;

    @Option(names = "--jobs", paramLabel = "N", description = "Parallel pg_dump and pg_restore jobs (default: number of cores).")
    Integer jobs;

    @Option(names = "--clean", description = "Replace a non-empty target (asks for its name on a terminal, needs --yes"
            + " elsewhere): copy into a new database beside it, swap names once every row count matches; the old one"
            + " is kept as <name>_before_<UTC time>.")
    boolean clean;

    @Option(names = "--yes", description = "Confirm --clean without being asked to type the database's name.")
    boolean yes;

    @Option(names = "--globals", description = "Create the source server's roles that the target server lacks.")
    boolean globals;

    @Option(names = "--keep-owners", description = "Restore owners and privileges (the source's roles must exist).")
    boolean keepOwners;

    @Option(names = "--checksum", description = "Also compare each table's contents with the source snapshot.")
    boolean checksum;

    @Override
    public Integer call() {
        ConfigLoader.Config config = root.config();
        ConnectionSettings source = side(config, fromProject, fromUrl, "--from", "--from-url", "source");
        ConnectionSettings target = side(config, toProject, toUrl, "--to", "--to-url", "target");
        if (clean) {
            Confirmation.onTerminal(spec.commandLine().getErr()).require(yes, "--clean replaces database '"
                    + target.database() + "' on " + target.host() + ":" + target.port()
                    + " (the old one is kept as " + target.database() + "_before_<UTC time>)", target.database());
        }
        CliReporter reporter = root.reporter(spec);
        reporter.info("copying " + source.describe() + " into " + target.describe());
        CopyOptions options = new CopyOptions(fromProject, source, toProject, target, Jobs.resolve(jobs), clean, keepOwners,
                globals, checksum, workDir());
        CopyResult result = new Copier(PgToolLocator.fromSystemEnvironment(), reporter, DbTool.version()).copy(options);
        RowCountCheck.Outcome check = result.restore().check();
        for (RowCountCheck.Mismatch m : check.mismatches()) {
            reporter.warn("row count mismatch: " + m.describe());
        }
        if (result.checksums() != null) {
            result.checksums().differences().forEach(d -> reporter.warn("differs from the source snapshot: " + d.describe()));
            result.checksums().onlyLeft().forEach(t -> reporter.warn("missing in the target: " + t));
            result.checksums().onlyRight().forEach(t -> reporter.warn("only in the target: " + t));
        }
        root.print(spec, json(result), text(result));
        if (!result.passed()) {
            int differing = check.mismatches().size() + (result.checksums() == null ? 0 : result.checksums().differenceCount());
            throw new DbToolException(ExitCode.VALIDATION, differing + " table(s) of " + target.describe()
                    + " differ from the source snapshot (listed above); do not switch over to it");
        }
        return 0;
    }

    private static ConnectionSettings side(ConfigLoader.Config config, String project, String url, String projectFlag,
            String urlFlag, String role) {
        if (project != null && url != null) {
            throw DbToolException.usage("give either " + projectFlag + " or " + urlFlag + ", not both");
        }
        if (project != null) {
            return config.project(project).connection();
        }
        if (url != null) {
            return ConnectionSettings.parse(url);
        }
        throw DbToolException.usage("no " + role + " given; add " + projectFlag + " PROJECT (from the config) or "
                + urlFlag + " URL");
    }

    /** The dump goes where import unpacks when it has no archive's directory to use: DBTOOL_WORK_DIR, else the temp dir. */
    private Path workDir() {
        String env = root.environment.apply("DBTOOL_WORK_DIR");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    private static Map<String, Object> json(CopyResult result) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("source", result.source().describe());
        json.put("target", result.restore().target().describe());
        json.put("created_database", result.restore().createdDatabase());
        if (result.restore().previousKeptAs() != null) { // only --clean on an existing database keeps one
            json.put("previous_database_kept_as", result.restore().previousKeptAs());
        }
        json.put("tables_checked", result.restore().check().tablesChecked());
        json.put("rows_checked", result.restore().check().rowsChecked());
        json.put("mismatches", result.restore().check().mismatches());
        json.put("checksum", result.checksums() != null);
        if (result.checksums() != null) {
            json.put("checksum_differences", result.checksums().differences().stream().map(TableDiff::describe).toList());
            json.put("missing_in_target", result.checksums().onlyLeft());
        }
        if (result.restore().roles() != null) {
            json.put("roles_created", result.restore().roles().created());
            json.put("roles_skipped", result.restore().roles().skipped());
            json.put("roles_failed", result.restore().roles().failed());
        }
        json.put("restore_warnings", result.restore().restoreWarnings().size());
        json.put("database_property_warnings", result.restore().propertyWarnings());
        json.put("duration_ms", result.millis());
        json.put("ok", result.passed());
        return json;
    }

    private static String text(CopyResult result) {
        if (!result.passed()) {
            return null;
        }
        RowCountCheck.Outcome check = result.restore().check();
        String done = "copied " + result.source().describe() + " into " + result.restore().target().describe() + ": "
                + TableCounts.plural(check.tablesChecked(), "table") + ", " + check.rowsChecked() + " rows, all row counts"
                + (result.checksums() != null ? " and checksums" : "") + " match the source snapshot ("
                + Sizes.seconds(result.millis()) + ")";
        String keptAs = result.restore().previousKeptAs();
        return keptAs == null ? done : "replaced " + result.restore().target().describe()
                + "; the previous database is kept as " + keptAs + " (drop it when you no longer need it: dropdb '"
                + keptAs + "')\n" + done;
    }
}
