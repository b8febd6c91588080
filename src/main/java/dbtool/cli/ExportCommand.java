package dbtool.cli;

import dbtool.archive.ArchiveName;
import dbtool.archive.Compression;
import dbtool.archive.Manifest;
import dbtool.config.ConfigLoader;
import dbtool.config.EncryptionSettings;
import dbtool.crypto.AgeEncryption;
import dbtool.config.ProjectConfig;
import dbtool.pg.PgToolLocator;
import dbtool.transfer.ExportOptions;
import dbtool.transfer.ExportResult;
import dbtool.transfer.Exporter;
import dbtool.storage.Stores;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "export", sortOptions = false, usageHelpAutoWidth = false,
        description = {"Export a database to <project>-<UTC time>.tar.gz plus a .sha256 sidecar.",
            "With encryption.recipients configured: .tar.gz.age, age-encrypted while it is written.",
            "The archive's path is the last line on stdout."})
final class ExportCommand implements Callable<Integer> {

    @ParentCommand
    DbTool root;

    @Spec
    CommandSpec spec;

    @Mixin
    TargetOptions target;

    @Option(names = "--output", paramLabel = "DIR_OR_FILE",
            description = "Directory or s3://bucket/prefix for the archive, or the archive's file name (default: the"
                    + " project's output, else dumps/ here).")
    String output;

    @Option(names = "--jobs", paramLabel = "N", description = "Parallel pg_dump jobs (default: number of cores).")
    Integer jobs;

    @Option(names = "--compress", paramLabel = "gzip|zstd|none", defaultValue = "gzip",
            description = "Archive compression (default: ${DEFAULT-VALUE}).")
    String compress;

    @Option(names = "--schema", paramLabel = "S", description = "Only this schema (repeatable; pg_dump pattern).")
    List<String> schemas = new ArrayList<>();

    @Option(names = "--exclude-table", paramLabel = "PATTERN", description = "Skip tables matching (repeatable; pg_dump pattern).")
    List<String> excludeTables = new ArrayList<>();

    @Option(names = "--no-encrypt", description = "Write a plaintext archive even when the config sets encryption recipients.")
    boolean noEncrypt;

    @Option(names = "--globals", description = "Add the server's roles and tablespaces (pg_dumpall --globals-only).")
    boolean globals;

    @Option(names = "--role-passwords", description = "With --globals: include password hashes (needs superuser).")
    boolean rolePasswords;

    @Override
    public Integer call() {
        if (rolePasswords && !globals) {
            throw dbtool.DbToolException.usage("--role-passwords only works with --globals; add --globals");
        }
        ConfigLoader.Config config = root.config();
        ProjectConfig project = target.projectConfig(config);
        String out = output != null ? output
                : project != null && project.output() != null ? project.output() : "dumps";
        CliReporter reporter = root.reporter(spec);
        reporter.project(target.project);
        EncryptionSettings encryption = project != null ? project.encryption() : config.defaultEncryption();
        AgeEncryption recipients = null;
        if (encryption.encrypts() && noEncrypt) {
            reporter.warn("--no-encrypt: writing a plaintext archive although " + config.source()
                    + " configures encryption recipients");
        } else if (encryption.encrypts()) {
            recipients = encryption.encryption();
        }
        ExportOptions options = new ExportOptions(target.project, target.connection(config), out,
                Jobs.resolve(jobs),
                Compression.fromCliName(compress), schemas, excludeTables, recipients, globals, rolePasswords,
                ArchiveName.Kind.BACKUP);
        reporter.info("exporting " + options.source().describe()
                + (recipients == null ? "" : ", encrypted to " + recipients.recipientCount() + " age recipient(s)"));
        Stores stores = root.stores(config).with(project != null ? project.storage() : config.storage());
        try (ExportResult result = new Exporter(PgToolLocator.fromSystemEnvironment(), reporter, DbTool.version(), stores)
                .export(options)) {
            root.print(spec, json(result), text(result));
        }
        return 0;
    }

    static Map<String, Object> json(ExportResult result) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("archive", result.archive().toString());
        json.put("sidecar", result.sidecar());
        json.put("sha256", result.sha256());
        json.put("size_bytes", result.sizeBytes());
        json.put("encrypted", result.archive().name().endsWith(AgeEncryption.SUFFIX));
        json.put("tables", result.manifest().tableCount());
        json.put("materialized_views", result.manifest().countOf(Manifest.Table.MATERIALIZED_VIEW));
        json.put("partitioned_tables", result.manifest().countOf(Manifest.Table.PARTITIONED));
        json.put("rows", result.manifest().totalRows());
        json.put("duration_ms", result.millis());
        return json;
    }

    private String text(ExportResult result) {
        String summary = "exported " + TableCounts.describe(result.manifest()) + ", " + result.manifest().totalRows()
                + " rows, " + Sizes.human(result.sizeBytes()) + " in " + Sizes.seconds(result.millis());
        return root.quiet ? result.archive().toString() : summary + System.lineSeparator() + result.archive();
    }
}
