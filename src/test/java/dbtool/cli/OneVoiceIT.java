package dbtool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.testing.CliRun;
import dbtool.testing.CliUrls;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a user sees around an export and an import: no 'null', destructive steps confirmed. */
class OneVoiceIT {

    @TempDir
    Path dir;

    private TestServer server;
    private TestDatabase source;

    @BeforeEach
    void database() {
        server = PgServers.defaultServer();
        source = server.createDatabase("ux_voice");
        source.execute("create table cats(id int primary key, name text)",
                "insert into cats select g, 'cat ' || g from generate_series(1, 500) g",
                "create table owners(id int primary key)", "insert into owners values (1), (2)",
                "create table toys(id int)", "insert into toys values (1)");
    }

    @AfterEach
    void drop() {
        source.drop();
    }

    private CliRun export(String... extra) {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("export", "--url",
                CliUrls.superuser(source), "--output", dir.resolve("dumps").toString()));
        args.addAll(java.util.List.of(extra));
        CliRun run = CliRun.of(args);
        assertThat(run.exitCode()).as(run.toString()).isZero();
        return run;
    }

    @Test
    void importingAUrlExportWithoutTargetSaysWhatToDoAndNeverNull() throws IOException {
        String archive = export("-q").lastLine();
        Path cfg = Files.writeString(dir.resolve("dbtool.yaml"), "projects: {}\n");
        CliRun run = CliRun.of("import", archive, "--config", cfg.toString());
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
        assertThat(run.err()).doesNotContain("null").contains("exported with --url", "--project NAME or --url URL");
    }

    @Test
    void destructiveCommandsNeedYesWithoutATerminal() throws IOException {
        String archive = export("-q").lastLine();
        CliRun clean = CliRun.of("import", archive, "--url", CliUrls.superuser(source), "--clean");
        assertThat(clean.exitCode()).as(clean.toString()).isEqualTo(2);
        assertThat(clean.err()).contains("--clean replaces database '" + source.name() + "'",
                "add --yes to confirm");
        assertThat(source.queryLong("select count(*) from cats")).isEqualTo(500);

        Path cfg = Files.writeString(dir.resolve("dbtool.yaml"), "projects:\n  shop:\n    url: " + CliUrls.superuser(source)
                + "\n    backup: { dir: " + dir.resolve("backups") + ", keep_last: 1 }\n");
        CliRun prune = CliRun.of("backups", "prune", "--project", "shop", "--config", cfg.toString());
        assertThat(prune.exitCode()).as(prune.toString()).isEqualTo(2);
        assertThat(prune.err()).contains("prune deletes the archives", "add --yes to confirm");
        CliRun yes = CliRun.of("backups", "prune", "--project", "shop", "--yes", "--config", cfg.toString());
        assertThat(yes.exitCode()).as(yes.toString()).isZero();
    }
}
