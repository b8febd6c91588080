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

    /** kill -9 runs no shutdown hook: the parent-death signal must still take pg_dump down. */
    @Test
    void sigkillOfDbtoolDoesNotLeaveAnOrphanPgDump(@TempDir Path dir) throws Exception {
        Process export = start("-v", "export", "--url", source.url(), "--output", dir.resolve("out").toString(),
                "--jobs", "1");
        // Once the table's COPY runs, pg_dump prints nothing for seconds: no SIGPIPE would stop an orphan.
        waitForLine(export, new ArrayList<>(), "dumping contents of table");
        ProcessHandle pgDump = null;
        for (int i = 0; i < 100 && pgDump == null; i++) {
            pgDump = export.descendants().filter(p -> p.info().command().orElse("").endsWith("/pg_dump"))
                    .findFirst().orElse(null);
            Thread.sleep(50);
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(pgDump != null, "pg_dump finished before it could be seen");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")),
                "needs util-linux setpriv for the parent-death signal");
        export.destroyForcibly();
        export.waitFor(30, TimeUnit.SECONDS);
        long pid = pgDump.pid();
        // Well before the dump of 2.5M rows could end by itself (an orphan would die of SIGPIPE then).
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1000);
        while (running(pid) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(running(pid)).as("pg_dump " + pid + " still running after dbtool was killed").isFalse();
    }

    /** Alive and not a zombie waiting to be reaped by whoever adopted it. */
    private static boolean running(long pid) throws IOException {
        Path stat = Path.of("/proc/" + pid + "/stat");
        if (!Files.exists(stat)) {
            return false;
        }
        try {
            String content = Files.readString(stat);
            return content.charAt(content.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException gone) {
            return false;
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
