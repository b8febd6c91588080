package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.testing.CliRun;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C and SIGTERM as a user (or systemd) sends them to the real CLI process: exit 130 / 143 with
 * one line saying so, no temporary files, no archive, and no half-restored database left behind.
 */
class InterruptIT {

    private static TestDatabase source;

    @BeforeAll
    static void createSource() {
        source = PgServers.defaultServer().createDatabase("interrupt");
        source.execute("create table big (id bigint primary key, a text, b text)",
                "insert into big select g, md5(g::text), md5((g * 7)::text) from generate_series(1, 2500000) g");
    }

    @AfterAll
    static void dropSource() {
        source.drop();
    }

    @Test
    void sigtermDuringExportLeavesAnEmptyOutputDirectory(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        Process export = start("export", "--url", source.url(), "--output", out.toString(), "--jobs", "1");
        List<String> err = new ArrayList<>();
        waitForLine(export, err, "exporting");
        Thread.sleep(800);
        export.destroy(); // SIGTERM
        assertThat(export.waitFor(60, TimeUnit.SECONDS)).isTrue();
        drain(export, err);
        assertThat(export.exitValue()).as(String.join("\n", err)).isEqualTo(143);
        assertThat(err).anyMatch(l -> l.startsWith("dbtool: error: interrupted by SIGTERM"));
        assertThat(err).noneMatch(l -> l.contains("\tat "));
        try (Stream<Path> left = Files.exists(out) ? Files.list(out) : Stream.empty()) {
            assertThat(left.toList()).as("nothing left in the output directory").isEmpty();
        }
    }

    @Test
    void ctrlCDuringImportDropsTheDatabaseItCreated(@TempDir Path dir) throws Exception {
        CliRun exported = CliRun.of("export", "--url", source.url(), "--output", dir.toString(), "-q");
        assertThat(exported.exitCode()).as(exported.toString()).isZero();
        TestDatabase target = PgServers.defaultServer().createDatabase("interrupt_target");
        target.drop();
        Process importing = start("import", exported.lastLine(), "--url", target.url(), "--jobs", "1");
        List<String> err = new ArrayList<>();
        waitForLine(importing, err, "restoring into");
        Thread.sleep(500);
        new ProcessBuilder("kill", "-INT", String.valueOf(importing.pid())).start().waitFor();
        assertThat(importing.waitFor(60, TimeUnit.SECONDS)).isTrue();
        drain(importing, err);
        assertThat(importing.exitValue()).as(String.join("\n", err)).isEqualTo(130);
        assertThat(err).anyMatch(l -> l.startsWith("dbtool: error: interrupted by SIGINT"));
        assertThat(PgServers.defaultServer().url("postgres")).isNotNull();
        try (var c = source.connect(); var st = c.createStatement();
                var rs = st.executeQuery("select count(*) from pg_database where datname = '" + target.name() + "'")) {
            rs.next();
            assertThat(rs.getLong(1)).as("the half-restored database is gone; a retry starts clean").isZero();
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList())
                    .allMatch(name -> !name.startsWith("."), "no work directory left");
        }
    }

    private Path stderr;

    /** stderr goes to a file: Process.destroy() closes the pipes, a file keeps every line. */
    private Process start(String... args) throws IOException {
        stderr = Files.createTempFile("dbtool-interrupt", ".err");
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-jar", Path.of("target/dbtool.jar").toAbsolutePath().toString()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(stderr.toFile()).start();
    }

    private void waitForLine(Process process, List<String> seen, String fragment) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (Files.readString(stderr, StandardCharsets.UTF_8).contains(fragment)) {
                return;
            }
            if (!process.isAlive()) {
                break;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no '" + fragment + "' on stderr: " + Files.readString(stderr, StandardCharsets.UTF_8));
    }

    private void drain(Process process, List<String> seen) throws IOException {
        seen.addAll(Files.readAllLines(stderr, StandardCharsets.UTF_8));
        Files.deleteIfExists(stderr);
    }
}
