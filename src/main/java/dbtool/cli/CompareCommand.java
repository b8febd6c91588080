package dbtool.cli;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.config.ConfigLoader;
import dbtool.config.ConnectionSettings;
import dbtool.verify.ComparisonReport;
import dbtool.verify.ComparisonSide;
import dbtool.verify.ComparisonText;
import dbtool.verify.DatabaseComparison;
import dbtool.verify.DatabaseSide;
import dbtool.verify.ManifestSide;
import dbtool.storage.ArchiveStore;
import dbtool.storage.StoredArchive;
import java.util.ArrayList;
import java.util.Iterator;
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

@Command(name = "compare", sortOptions = false, usageHelpAutoWidth = false,
        description = {"Compare two databases, or a database and an archive, table by table; exit 3 if they differ.",
            "Row counts; with --checksum also each table's contents. An --archive side has counts only."})
final class CompareCommand implements Callable<Integer> {

    @ParentCommand
    DbTool root;

    @Spec
    CommandSpec spec;

    @Option(names = "--project", paramLabel = "NAME", description = "A side: a project from the config (give two sides).")
    List<String> projects = new ArrayList<>();

    @Option(names = "--url", paramLabel = "URL", description = "A side: a database URL.")
    List<String> urls = new ArrayList<>();

    @Option(names = "--archive", paramLabel = "FILE",
            description = "A side: an archive's manifest (row counts only); a path or s3://bucket/key.")
    String archive;

    @Option(names = "--checksum", description = "Also compare each table's content (order-independent hash of every row).")
    boolean checksum;

    @Mixin
    IdentityOption identity;

    @Override
    public Integer call() {
        List<ComparisonSide> sides = sidesInCommandLineOrder(root.config());
        ComparisonReport report = DatabaseComparison.compare(sides.get(0), sides.get(1), checksum, root.reporter(spec));
        List<String> lines = ComparisonText.lines(report);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("ok", report.equal());
        json.put("a", report.left());
        json.put("b", report.right());
        json.put("equal", report.equal());
        json.put("checksum", report.checksummed());
        json.put("tables_compared", report.tablesCompared());
        json.put("materialized_views_compared", report.materializedViewsCompared());
        json.put("only_in_a", report.onlyLeft());
        json.put("only_in_b", report.onlyRight());
        json.put("differences", report.differences().stream().map(d -> d.describe()).toList());
        root.print(spec, json, "A: " + report.left() + "\nB: " + report.right() + "\n" + String.join("\n", lines));
        return report.equal() ? ExitCode.OK.code() : ExitCode.VALIDATION.code();
    }

    /** Side A is whichever was named first on the command line. */
    private List<ComparisonSide> sidesInCommandLineOrder(ConfigLoader.Config config) {
        List<ComparisonSide> sides = new ArrayList<>();
        Iterator<String> projectValues = projects.iterator();
        Iterator<String> urlValues = urls.iterator();
        for (String arg : spec.commandLine().getParseResult().originalArgs()) {
            if (arg.equals("--project") || arg.startsWith("--project=")) {
                String name = projectValues.next();
                ConnectionSettings settings = config.project(name).connection();
                sides.add(new DatabaseSide(name + " (" + settings.describe() + ")", settings));
            } else if (arg.equals("--url") || arg.startsWith("--url=")) {
                sides.add(new DatabaseSide(ConnectionSettings.parse(urlValues.next())));
            } else if (arg.equals("--archive") || arg.startsWith("--archive=")) {
                if (!dbtool.storage.S3Location.isS3(archive) && !java.nio.file.Files.isRegularFile(java.nio.file.Path.of(archive))) {
                    throw DbToolException.usage("archive " + archive + " does not exist or is not a file");
                }
                StoredArchive input = root.stores(config).archive(archive);
                try (ArchiveStore store = input.store()) {
                    sides.add(ManifestSide.ofArchive(input,
                            identity.decryptor(config::defaultEncryption, root.reporter(spec))));
                }
            }
        }
        if (sides.size() != 2) {
            throw DbToolException.usage("compare needs exactly two sides (got " + sides.size()
                    + "); give two of --project NAME, --url URL, --archive FILE");
        }
        return sides;
    }
}
