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
import java.util.Map;
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
        waitForCopy(export, source.name());
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

    /**
     * kill -9 runs no shutdown hook: nothing of pg_dump may survive it, parallel workers included (they are forked
     * children of pg_dump, which a parent-death signal on pg_dump alone would leave running).
     */
    @Test
    void sigkillOfDbtoolLeavesNoPgDumpOrWorkerRunning(@TempDir Path dir) throws Exception {
        Process export = start("export", "--url", source.url(), "--output", dir.resolve("out").toString(),
                "--jobs", "2");
        waitForCopy(export, source.name());
        assertNothingSurvivesKill9(export, "pg_dump");
    }

    @Test
    void sigkillOfDbtoolLeavesNoPgRestoreOrWorkerRunning(@TempDir Path dir) throws Exception {
        CliRun exported = CliRun.of("export", "--url", source.url(), "--output", dir.toString(), "-q");
        assertThat(exported.exitCode()).as(exported.toString()).isZero();
        TestDatabase target = PgServers.defaultServer().createDatabase("interrupt_kill9");
        try {
            Process importing = start("import", exported.lastLine(), "--url", target.url(), "--jobs", "2");
            waitForCopy(importing, target.name());
            assertNothingSurvivesKill9(importing, "pg_restore");
        } finally {
            target.drop();
        }
    }

    private static void assertNothingSurvivesKill9(Process dbtool, String tool) throws Exception {
        List<ProcessHandle> tools = dbtool.descendants()
                .filter(p -> p.info().command().orElse("").endsWith("/" + tool)).toList();
        assertThat(tools).as(tool + " and its workers").hasSizeGreaterThanOrEqualTo(2);
        dbtool.destroyForcibly();
        dbtool.waitFor(30, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1000);
        while (tools.stream().anyMatch(p -> running(p.pid())) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(tools.stream().filter(p -> running(p.pid())).map(ProcessHandle::pid).toList())
                .as(tool + " processes still running a second after dbtool was killed").isEmpty();
    }

    /** Waits until a COPY runs in that database: the tool is in the middle of moving rows. */
    private void waitForCopy(Process process, String database) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        try (var c = PgServers.defaultServer().connectAdmin(); var ps = c.prepareStatement(
                "select count(*) from pg_stat_activity where datname like ? and query ilike 'copy %'")) {
            ps.setString(1, database);
            while (System.nanoTime() < deadline && process.isAlive()) {
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) > 0) {
                        return;
                    }
                }
                Thread.sleep(10);
            }
        }
        throw new AssertionError("no COPY seen in " + database + " (dbtool alive: " + process.isAlive() + "): "
                + Files.readString(stderr, StandardCharsets.UTF_8));
    }

    /** Alive and not a zombie waiting to be reaped by whoever adopted it. */
    private static boolean running(long pid) {
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
        assumeSigintIsNotIgnored();
        CliRun exported = CliRun.of("export", "--url", source.url(), "--output", dir.toString(), "-q");
        assertThat(exported.exitCode()).as(exported.toString()).isZero();
        TestDatabase target = PgServers.defaultServer().createDatabase("interrupt_target");
        target.drop();
        Process importing = start("import", exported.lastLine(), "--url", target.url(), "--jobs", "1");
        List<String> err = new ArrayList<>();
        waitForCopy(importing, target.name());
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

    /**
     * Ctrl-C right after the import created its database, while pg_restore still reads the archive's toc (held here by
     * a pg_restore that stops itself on --list): the database is dropped all the same, from its creation on.
     */
    @Test
    void ctrlCJustAfterTheDatabaseWasCreatedDropsIt(@TempDir Path dir) throws Exception {
        assumeSigintIsNotIgnored();
        CliRun exported = CliRun.of("export", "--url", source.url(), "--output", dir.toString(), "-q");
        assertThat(exported.exitCode()).as(exported.toString()).isZero();
        Path bin = Files.createDirectory(dir.resolve("bin"));
        Path held = dir.resolve("held");
        Path pgRestore = bin.resolve("pg_restore");
        Files.writeString(pgRestore, "#!/bin/sh\ncase \" $* \" in *\" --list \"*) : > '" + held + "'; kill -STOP $$;; esac\n"
                + "exec '" + realPgRestore() + "' \"$@\"\n");
        pgRestore.toFile().setExecutable(true);
        TestDatabase target = PgServers.defaultServer().createDatabase("interrupt_early");
        target.drop();
        Process importing = start(Map.of("DBTOOL_PG_BIN", bin.toString()), "import", exported.lastLine(),
                "--url", target.url(), "--jobs", "1");
        try {
            waitFor(importing, () -> Files.exists(held) && databaseExists(target.name()),
                    "the database created and pg_restore's toc look-up held");
            new ProcessBuilder("kill", "-INT", String.valueOf(importing.pid())).start().waitFor();
            assertThat(importing.waitFor(60, TimeUnit.SECONDS)).isTrue();
            List<String> err = new ArrayList<>();
            drain(importing, err);
            assertThat(importing.exitValue()).as(String.join("\n", err)).isEqualTo(130);
            assertThat(databaseExists(target.name())).as("the database this import created is gone: " + err).isFalse();
        } finally {
            if (databaseExists(target.name())) {
                target.drop();
            }
        }
    }

    /** Ctrl-C while --clean restores: the target stays exactly as it was, and the new database is dropped. */
    @Test
    void ctrlCDuringCleanImportLeavesTheTargetAsItWas(@TempDir Path dir) throws Exception {
        assumeSigintIsNotIgnored();
        CliRun exported = CliRun.of("export", "--url", source.url(), "--output", dir.toString(), "-q");
        assertThat(exported.exitCode()).as(exported.toString()).isZero();
        TestDatabase target = PgServers.defaultServer().createDatabase("interrupt_clean");
        try {
            target.execute("create table big (id bigint primary key, a text, b text)",
                    "insert into big values (-1, 'mine', 'mine')");
            Process importing = start("import", exported.lastLine(), "--url", target.url(), "--jobs", "1",
                    "--clean", "--yes");
            waitForCopy(importing, target.name() + "\\_dbtool\\_new\\_%");
            new ProcessBuilder("kill", "-INT", String.valueOf(importing.pid())).start().waitFor();
            assertThat(importing.waitFor(60, TimeUnit.SECONDS)).isTrue();
            List<String> err = new ArrayList<>();
            drain(importing, err);
            assertThat(importing.exitValue()).as(String.join("\n", err)).isEqualTo(130);
            assertThat(target.queryString("select string_agg(id || a, ',') from big")).isEqualTo("-1mine");
            try (var c = PgServers.defaultServer().connectAdmin(); var st = c.createStatement();
                    var rs = st.executeQuery("select count(*) from pg_database where datname like '"
                            + target.name() + "\\_%'")) {
                rs.next();
                assertThat(rs.getLong(1)).as("the new database is dropped").isZero();
            }
        } finally {
            target.drop();
        }
    }

    /**
     * A process started with SIGINT ignored (a shell's background job, nohup) passes that on, and a JVM that starts
     * with SIGINT ignored keeps ignoring it, as Unix programs should: Ctrl-C cannot be tried from such a build.
     */
    private static void assumeSigintIsNotIgnored() throws IOException {
        String ignored = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("SigIgn:")).findFirst().orElse("SigIgn: 0").substring(7).strip();
        boolean sigintIgnored = (new java.math.BigInteger(ignored, 16).longValue() & (1L << 1)) != 0;
        org.junit.jupiter.api.Assumptions.assumeFalse(sigintIgnored,
                "this build runs with SIGINT ignored (started in the background?), so dbtool would ignore Ctrl-C too");
    }

    private static boolean databaseExists(String name) throws java.sql.SQLException {
        try (var c = PgServers.defaultServer().connectAdmin();
                var ps = c.prepareStatement("select count(*) from pg_database where datname = ?")) {
            ps.setString(1, name);
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1) > 0;
            }
        }
    }

    /** The pg_restore dbtool would pick for the test server. */
    private static Path realPgRestore() throws java.sql.SQLException {
        int versionNum = Integer.parseInt(source.queryString("show server_version_num"));
        return dbtool.pg.PgToolLocator.fromSystemEnvironment()
                .forServer("pg_restore", dbtool.pg.PgVersion.fromVersionNum(versionNum)).executable();
    }

    private interface State {
        boolean reached() throws Exception;
    }

    private void waitFor(Process process, State state, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!state.reached()) {
            if (System.nanoTime() > deadline || !process.isAlive()) {
                throw new AssertionError("never saw: " + what + " (dbtool alive: " + process.isAlive() + "): "
                        + Files.readString(stderr, StandardCharsets.UTF_8));
            }
            Thread.sleep(10);
        }
    }

    private Path stderr;

    /** stderr goes to a file: Process.destroy() closes the pipes, a file keeps every line. */
    private Process start(String... args) throws IOException {
        return start(Map.of(), args);
    }

    private Process start(Map<String, String> environment, String... args) throws IOException {
        stderr = Files.createTempFile("dbtool-interrupt", ".err");
        stderr.toFile().deleteOnExit(); // read by the test; nothing to keep in /tmp afterwards
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-jar", Path.of("target/dbtool.jar").toAbsolutePath().toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(stderr.toFile());
        builder.environment().putAll(environment);
        return builder.start();
    }

    private void drain(Process process, List<String> seen) throws IOException {
        seen.addAll(Files.readAllLines(stderr, StandardCharsets.UTF_8));
        Files.deleteIfExists(stderr);
    }
}
