package dbtool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.testing.CliRun;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The command line is a contract: help texts are golden files (regenerate with
 * -Dgolden.update=true after an intended change), and usage errors are one line with exit 2.
 */
class CliTest {

    private static final Path GOLDEN = Path.of("src/test/resources/golden");

    @ParameterizedTest
    @ValueSource(strings = {"", "export", "import", "copy", "inspect", "verify", "backup", "backups", "schedule",
        "migrate", "compare", "lint", "backups report", "keygen"})
    void helpMatchesGoldenFile(String command) throws IOException {
        CliRun run = command.isEmpty() ? CliRun.of("--help") : CliRun.of((command + " --help").split(" "));
        assertThat(run.exitCode()).isZero();
        Path golden = GOLDEN.resolve("help-" + (command.isEmpty() ? "dbtool" : command.replace(' ', '-')) + ".txt");
        if (Boolean.getBoolean("golden.update")) {
            Files.writeString(golden, run.out(), StandardCharsets.UTF_8);
        }
        assertThat(run.out()).isEqualTo(Files.readString(golden, StandardCharsets.UTF_8));
    }

    @Test
    void helpListsEveryExitCode() {
        assertThat(CliRun.of("export", "--help").out()).contains("0   ok", "1   runtime failure", "2   usage",
                "3   validation", "4   archive unusable", "5   another run", "6   lint",
                "7   backup written, but rows dropped sharply");
    }

    @Test
    void copyNeedsOneSourceAndOneTargetEachSpelledOnce() {
        CliRun noSource = CliRun.of("copy", "--to-url", "postgresql://h/db");
        assertThat(noSource.exitCode()).isEqualTo(2);
        assertThat(noSource.err()).contains("no source given; add --from PROJECT", "--from-url URL");
        CliRun twoTargets = CliRun.of("copy", "--from-url", "postgresql://h/a", "--to", "x", "--to-url", "postgresql://h/b");
        assertThat(twoTargets.exitCode()).isEqualTo(2);
        assertThat(twoTargets.err()).contains("give either --to or --to-url, not both");
    }

    @Test
    void versionPrintsToolVersion() {
        CliRun run = CliRun.of("--version");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("dbtool ");
    }

    @Test
    void unknownFlagIsOneLineAndExit2() {
        CliRun run = CliRun.of("export", "--projct", "old");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err().strip().lines().toList()).as(run.toString()).singleElement().asString()
                .startsWith("dbtool: error: Unknown option").contains("'--projct'").contains("dbtool export --help");
    }

    @Test
    void logFormatJsonWritesTheErrorAsOneJsonObjectPerLine(@TempDir Path dir) throws IOException {
        CliRun run = CliRun.of("verify", dir.resolve("missing.tar.gz").toString(), "--log-format", "json");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).as(run.toString()).singleElement().satisfies(line -> {
            com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
            assertThat(json.path("level").asText()).isEqualTo("error");
            assertThat(json.path("event").asText()).isEqualTo("failed");
            assertThat(json.has("time")).isTrue();
            assertThat(json.has("project")).isTrue();
            assertThat(json.path("fields").path("exit_code").asInt()).isEqualTo(2);
            assertThat(json.path("fields").path("message").asText()).contains("missing.tar.gz").contains("does not exist");
        });
    }

    @Test
    void unknownLogFormatIsAUsageError() {
        CliRun run = CliRun.of("verify", "x.tar.gz", "--log-format", "xml");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--log-format must be text or json");
    }

    @Test
    void globalOptionsWorkBeforeAndAfterTheCommand(@TempDir Path dir) throws IOException {
        Path sql = Files.writeString(dir.resolve("V2__ok.sql"), "create table t (id int);\n");
        CliRun before = CliRun.of("--json", "lint", sql.toString());
        CliRun after = CliRun.of("lint", sql.toString(), "--json");
        assertThat(before.out()).contains("\"clean\" : true").isEqualTo(after.out());
    }

    @Test
    void lintExitsSixWithRuleFileAndLine(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("V7__index.sql"), "-- adds an index\ncreate index i on cat_lovers (email);\n");
        CliRun run = CliRun.of("lint", dir.toString());
        assertThat(run.exitCode()).isEqualTo(6);
        assertThat(run.out()).contains("V7__index.sql:2: [create-index-non-concurrently]", "CONCURRENTLY");
    }

    @Test
    void lintOfShippedExampleMigrationsIsClean() {
        Path migrations = Path.of("migrations/old");
        if (Files.isDirectory(migrations)) {
            CliRun run = CliRun.of("lint", migrations.toString());
            assertThat(run.exitCode()).as(run.toString()).isZero();
        }
    }
}
