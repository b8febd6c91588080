package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.archive.ArchiveReader;
import dbtool.archive.Manifest;
import dbtool.testing.CliUrls;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The round trip as cron runs it: the real CLI under {@code env -i} (no locale, no PATH), with table names that are
 * not ASCII or hold a newline. Every table must be in the manifest and checked after the import; in cron's
 * environment Java reads the tools' output as US-ASCII unless told otherwise.
 */
class BareEnvironmentIT {

    private static final String CAFE = "\"Café ☕\"";
    private static final String NEWLINE = "\"two\nlines\"";

    private final TestServer server = PgServers.defaultServer();
    private final List<TestDatabase> databases = new ArrayList<>();

    @AfterEach
    void drop() {
        databases.forEach(TestDatabase::drop);
    }

    @Test
    void everyTableWhateverItsNameIsInTheManifestAndCheckedUnderEnvI(@TempDir Path dir) throws Exception {
        TestDatabase source = server.createDatabase("trust_bare_src");
        databases.add(source);
        source.execute("create table " + CAFE + " (id int primary key)",
                "insert into " + CAFE + " select generate_series(1, 300)",
                "create table " + NEWLINE + " (id int primary key)",
                "insert into " + NEWLINE + " select generate_series(1, 70)",
                "create table plain (id int primary key)", "insert into plain select generate_series(1, 5)");

        Result export = bare("export", "--url", CliUrls.superuser(source), "--output", dir.toString(), "--jobs", "2");
        assertThat(export.exit()).as(export.err()).isZero();
        Path archive = Path.of(export.lastOutLine());
        Manifest manifest = ArchiveReader.readManifest(archive);
        assertThat(manifest.tables()).extracting(Manifest.Table::name, Manifest.Table::rows)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("Café ☕", 300L),
                        org.assertj.core.groups.Tuple.tuple("two\nlines", 70L),
                        org.assertj.core.groups.Tuple.tuple("plain", 5L));

        TestDatabase target = server.createDatabase("trust_bare_dst");
        databases.add(target);
        target.drop();
        Result imported = bare("import", archive.toString(), "--url", CliUrls.superuser(target), "--jobs", "2");
        assertThat(imported.exit()).as(imported.err()).isZero();
        assertThat(imported.out()).contains("3 tables, 375 rows, all row counts match");
        assertThat(target.queryLong("select count(*) from " + CAFE)).isEqualTo(300);
    }

    private record Result(int exit, String out, String err) {
        String lastOutLine() {
            String[] lines = out.strip().split("\n");
            return lines[lines.length - 1].strip();
        }
    }

    /** The CLI as a separate JVM with an empty environment, like {@code env -i java -jar dbtool.jar ...}. */
    private static Result bare(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "-jar", Path.of("target/dbtool.jar").toAbsolutePath().toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(Path.of("/").toFile());
        builder.environment().clear();
        Path out = Files.createTempFile("dbtool-bare", ".out");
        Path err = Files.createTempFile("dbtool-bare", ".err");
        Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(process.waitFor(5, TimeUnit.MINUTES)).isTrue();
        Result result = new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
        Files.delete(out);
        Files.delete(err);
        return result;
    }
}
