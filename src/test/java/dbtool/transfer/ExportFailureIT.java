package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.testing.CliRun;
import dbtool.testing.CliUrls;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestRole;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An export that cannot finish leaves nothing behind: no archive, no .partial, no .work, no sidecar. */
class ExportFailureIT {

    @TempDir
    Path dir;

    private TestDatabase db;
    private Path mounted;

    @AfterEach
    void cleanUp() throws Exception {
        if (mounted != null) {
            new ProcessBuilder("umount", mounted.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
        }
        if (db != null) {
            db.drop();
        }
    }

    private static List<String> everythingIn(Path directory) throws IOException {
        try (Stream<Path> all = Files.walk(directory)) {
            return all.filter(p -> !p.equals(directory)).map(Path::toString).toList();
        }
    }

    private static void assertError(CliRun run, int code, String... fragments) {
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(code);
        String last = run.errLines().get(run.errLines().size() - 1);
        assertThat(last).as(run.toString()).startsWith("dbtool: error:").contains(fragments);
        assertThat(run.err()).doesNotContain("at dbtool.");
    }

    @Test
    void killedPgDumpFailsTheExportAndLeavesNothing() throws Exception {
        db = PgServers.defaultServer().createDatabase("expfail_kill");
        db.execute("create table big as select g as id, md5(g::text) as payload from generate_series(1, 3000000) g");
        Path out = Files.createDirectory(dir.resolve("out"));
        CompletableFuture<CliRun> export = CompletableFuture.supplyAsync(() -> CliRun.of("export", "--url",
                CliUrls.superuser(db), "--output", out.toString(), "--jobs", "2"));

        // pg_restore --list later also has the database's name in its arguments (the work dir): match pg_dump only.
        Optional<ProcessHandle> pgDump = Optional.empty();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (pgDump.isEmpty() && !export.isDone() && System.nanoTime() < deadline) {
            pgDump = ProcessHandle.current().descendants()
                    .filter(p -> p.info().command().orElse("").endsWith("pg_dump"))
                    .filter(p -> p.info().commandLine().orElse("").contains(db.name()))
                    .findFirst();
            Thread.sleep(5);
        }
        assertThat(pgDump).as("pg_dump seen running (export finished first? " + export.isDone() + ")").isPresent();
        Thread.sleep(300); // let it create the work directory and start writing
        pgDump.get().destroyForcibly();

        CliRun run = export.get(180, TimeUnit.SECONDS);
        assertError(run, 1, "pg_dump");
        assertThat(everythingIn(out)).as(run.toString()).isEmpty();
    }

    @Test
    void fullDiskFailsWithADiskFullLineAndLeavesNothing() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "mounting a small tmpfs needs root");
        Path small = Files.createDirectory(dir.resolve("small"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", small.toString())
                .redirectErrorStream(true).start();
        String mountOutput = new String(mount.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Assumptions.assumeTrue(mount.waitFor() == 0, "cannot mount a tmpfs here: " + mountOutput);
        mounted = small;

        db = PgServers.defaultServer().createDatabase("expfail_full");
        // Random hex barely compresses: about 20 MB of table, far more than 2 MB even after pg_dump's -Z1.
        db.execute("create table t as select g as id, md5(random()::text) || md5(random()::text) as a,"
                + " md5(random()::text) as b from generate_series(1, 150000) g");
        CliRun run = CliRun.of("export", "--url", CliUrls.superuser(db), "--output", small.toString());
        assertError(run, 1, "disk full");
        assertThat(everythingIn(small)).as(run.toString()).isEmpty();
    }

    /** The count in the snapshot fails first; pg_dump's own error must still be the one reported. */
    @Test
    void aTableTheRoleMayNotReadIsReportedAsPgDumpSaysIt() throws Exception {
        db = PgServers.defaultServer().createDatabase("trust_perm");
        TestRole role = PgServers.defaultServer().createRole("trust_nosel", "secret-pw");
        db.execute("create table readable(id int)", "insert into readable values (1)",
                "create table secret(id int)", "insert into secret values (1)",
                "grant select on readable to " + role.name());
        for (String jobs : List.of("1", "2")) {
            CliRun run = CliRun.of("export", "--url", "postgresql://" + role.name() + ":secret-pw@"
                    + db.server().host() + ":" + db.server().port() + "/" + db.name(), "--output", dir.toString(),
                    "--jobs", jobs);
            assertError(run, 1, "permission denied for table secret");
            assertThat(run.err()).doesNotContain("snapshot");
        }
    }

    @Test
    void existingOutputFileIsNeverOverwritten() throws Exception {
        db = PgServers.defaultServer().createDatabase("expfail_exists");
        db.execute("create table t(id int)", "insert into t values (1)");
        for (String name : List.of("precious.tar.gz", "notes.txt")) {
            Path file = Files.writeString(dir.resolve(name), "precious, not an archive");
            CliRun run = CliRun.of("export", "--url", CliUrls.superuser(db), "--output", file.toString());
            assertError(run, 2, name);
            assertThat(file).hasContent("precious, not an archive");
            try (Stream<Path> files = Files.list(dir)) {
                assertThat(files.map(p -> p.getFileName().toString())).as(run.toString())
                        .noneMatch(n -> n.endsWith(".partial") || n.endsWith(".work") || n.endsWith(".sha256"));
            }
        }
    }
}
