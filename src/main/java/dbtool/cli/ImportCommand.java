package dbtool.cli;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.archive.ArchiveReader;
import dbtool.archive.Manifest;
import dbtool.config.ConfigLoader;
import dbtool.config.ConnectionSettings;
import dbtool.pg.PgToolLocator;
import dbtool.transfer.ImportOptions;
import dbtool.transfer.ImportResult;
import dbtool.transfer.Importer;
import dbtool.verify.RowCountCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import dbtool.storage.ArchiveStore;
import dbtool.storage.S3Location;
import dbtool.storage.StoredArchive;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "import", sortOptions = false, usageHelpAutoWidth = false,
        description = {"Check an archive, restore it into a database, and prove every table has its rows.",
            "Without a target, the archive's project is used when the config defines it."})
final class ImportCommand implements Callable<Integer> {

    @ParentCommand
    DbTool root;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ARCHIVE",
            description = "A dbtool archive (.tar.gz, .tar.zst or .tar; .age when encrypted), a path or s3://bucket/key.")
    String archive;

    @Mixin
    TargetOptions target;

    @Option(names = "--jobs", paramLabel = "N", description = "Parallel pg_restore jobs (default: number of cores).")
    Integer jobs;

    @Option(names = "--clean", description = "Replace a non-empty target (asks for its name on a terminal, needs --yes"
            + " elsewhere): restore into a new database beside it, swap names once every row count matches; the old one"
            + " is kept as <name>_before_<UTC time>.")
    boolean clean;

    @Option(names = "--yes", description = "Confirm --clean without being asked to type the database's name.")
    boolean yes;

    @Option(names = "--keep-owners", description = "Restore owners and privileges (the source's roles must exist).")
    boolean keepOwners;

    @Mixin
    IdentityOption identity;

    @Option(names = "--globals", description = "Create the archive's roles that the target server lacks (export --globals).")
    boolean globals;

    @Override
    public Integer call() {
        boolean inBucket = S3Location.isS3(archive);
        if (!inBucket && !Files.isRegularFile(Path.of(archive))) {
            throw DbToolException.usage("archive " + archive + " does not exist or is not a file");
        }
        ConfigLoader.Config config = root.config();
        CliReporter reporter = root.reporter(spec);
        reporter.project(target.project);
        // The target project's key, else the defaults': the archive's own project is inside the encryption.
        dbtool.crypto.Decryptor decryptor = identity.decryptor(() -> target.project != null
                ? config.project(target.project).encryption() : config.defaultEncryption(), reporter);
        ImportResult result;
        StoredArchive input = root.stores(config).archive(archive);
        try (ArchiveStore store = input.store()) {
            ConnectionSettings connection = resolveTarget(config, input, decryptor);
            if (clean) {
                Confirmation.onTerminal(spec.commandLine().getErr()).require(yes, "--clean replaces database '"
                        + connection.database() + "' on " + connection.host() + ":" + connection.port()
                        + " (the old one is kept as " + connection.database() + "_before_<UTC time>)",
                        connection.database());
            }
            ImportOptions options = new ImportOptions(input, target.project, connection,
                    Jobs.resolve(jobs), clean, keepOwners, workDir(inBucket), decryptor, globals);
            result = new Importer(PgToolLocator.fromSystemEnvironment(), reporter).importArchive(options);
        }
        RowCountCheck.Outcome check = result.check();
        for (RowCountCheck.Mismatch m : check.mismatches()) {
            reporter.warn("row count mismatch: " + m.describe());
        }
        root.print(spec, json(result), text(result));
        if (!check.passed()) {
            throw new DbToolException(ExitCode.VALIDATION, check.mismatches().size() + " of " + check.tablesChecked()
                    + " tables differ from the archive's manifest after restore (listed above); " + (clean
                    ? result.target().describe() + " was not changed (the new copy was dropped)"
                    : "do not switch over to " + result.target().describe()));
        }
        return 0;
    }

    private ConnectionSettings resolveTarget(ConfigLoader.Config config, StoredArchive input,
            dbtool.crypto.Decryptor decryptor) {
        if (target.given()) {
            return target.connection(config);
        }
        Manifest manifest = ArchiveReader.readManifest(input, decryptor);
        if (manifest.project() != null && config.projects().containsKey(manifest.project())) {
            target.project = manifest.project();
            return config.project(manifest.project()).connection();
        }
        if (manifest.project() == null) {
            throw DbToolException.usage("the archive was exported with --url and names no project; name the target"
                    + " with --project NAME or --url URL");
        }
        throw DbToolException.usage("the archive's project '" + manifest.project() + "' is not in " + config.source()
                + "; name the target with --project NAME or --url URL");
    }

    /**
     * Unpack next to the archive (that disk held it once), unless DBTOOL_WORK_DIR says otherwise; an archive in a
     * bucket is streamed from it and unpacked in the system's temporary directory.
     */
    private Path workDir(boolean inBucket) {
        String env = root.environment.apply("DBTOOL_WORK_DIR");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        if (inBucket) {
            return Path.of(System.getProperty("java.io.tmpdir"));
        }
        Path parent = Path.of(archive).toAbsolutePath().getParent();
        return Files.isWritable(parent) ? parent : Path.of(System.getProperty("java.io.tmpdir"));
    }

    private static Map<String, Object> json(ImportResult result) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("target", result.target().describe());
        json.put("created_database", result.createdDatabase());
        if (result.previousKeptAs() != null) { // only --clean on an existing database keeps one
            json.put("previous_database_kept_as", result.previousKeptAs());
        }
        json.put("tables_checked", result.check().tablesChecked());
        json.put("rows_checked", result.check().rowsChecked());
        json.put("mismatches", result.check().mismatches());
        json.put("restore_warnings", result.restoreWarnings().size());
        if (result.roles() != null) {
            json.put("roles_created", result.roles().created());
            json.put("roles_skipped", result.roles().skipped());
            json.put("roles_failed", result.roles().failed());
        }
        json.put("database_property_warnings", result.propertyWarnings());
        json.put("duration_ms", result.millis());
        json.put("ok", result.check().passed());
        return json;
    }

    private String text(ImportResult result) {
        RowCountCheck.Outcome check = result.check();
        if (!check.passed()) {
            return null;
        }
        String done = "imported into " + result.target().describe() + ": " + TableCounts.plural(check.tablesChecked(), "table")
                + ", " + check.rowsChecked() + " rows, all row counts match the manifest (" + Sizes.seconds(result.millis()) + ")";
        return !result.replaced() ? done : "replaced " + result.target().describe() + "; the previous database is kept as "
                + result.previousKeptAs() + " (drop it when you no longer need it: dropdb '" + result.previousKeptAs()
                + "')\n" + done;
    }
}
