package dbtool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.testing.CliRun;
import dbtool.testing.CliUrls;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestRole;
import dbtool.testing.TestServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `dbtool doctor`: one line per check, ok/warn/fail with the fix, exit 1 only when something fails. */
class DoctorIT {

    @TempDir
    Path dir;

    private TestServer server;
    private TestDatabase db;

    @BeforeEach
    void database() {
        server = PgServers.defaultServer();
        db = server.createDatabase("ux_doctor");
        db.execute("create table cats(id int primary key, name text)", "insert into cats values (1, 'Tom')",
                "create table secrets(id int)");
    }

    @AfterEach
    void drop() {
        db.drop();
    }

    private Path config(String projectYaml, String mode) throws IOException {
        Path file = Files.writeString(dir.resolve("dbtool.yaml"), "projects:\n  shop:\n" + projectYaml
                + "    backup: { dir: " + dir.resolve("backups") + " }\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }

    @Test
    void aHealthyProjectPassesEveryCheckThatMatters() throws IOException {
        Path cfg = config("    url: " + CliUrls.superuser(db) + "\n", "rw-r--r--");
        CliRun run = CliRun.of("doctor", "--config", cfg.toString(), "--project", "shop");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out()).contains("ok    java ", "ok    server       shop: reachable",
                "ok    credentials  shop:", "ok    pg_dump      shop:", "ok    pg_restore   shop:",
                "ok    privileges   shop: may read every table", "no archive yet; the database is", "ok    backup dir   shop:",
                "holds no password");
        assertThat(run.out()).contains(dbtool.archive.Igzip.find().isPresent()
                ? "ok    igzip        gzip archives are made and read by ISA-L's igzip (/"
                : "warn  igzip        igzip not on PATH: gzip archives are made by zlib in the JVM");
        assertThat(run.out()).doesNotContain("fail ");
        assertThat(run.out().lines()).allMatch(l -> l.matches("(ok  |warn|fail)  .*"));
    }

    /** Export output and backup directory may be on different disks: the free space of each is checked. */
    @Test
    void diskSpaceIsCheckedInTheOutputAndTheBackupDirectory() throws IOException {
        Path exports = Files.createDirectories(dir.resolve("exports"));
        Path backups = Files.createDirectories(dir.resolve("backups"));
        Path cfg = config("    url: " + CliUrls.superuser(db) + "\n    output: " + exports + "\n", "rw-r--r--");
        CliRun run = CliRun.of("doctor", "--config", cfg.toString(), "--project", "shop");
        assertThat(run.out()).as(run.toString()).contains(" free in " + exports + "; ", " free in " + backups + "; ");
    }

    @Test
    void missingPrivilegesAndAWorldReadablePasswordFailWithTheirFix() throws IOException {
        TestRole role = server.createRole("ux_doctor_role", "pw-doctor-1");
        db.execute("grant select on cats to " + role.name());
        Path cfg = config("    url: " + db.url() + "\n    user: " + role.name() + "\n    password: " + role.password()
                + "\n", "rw-r--r--");
        CliRun run = CliRun.of("doctor", "--config", cfg.toString());
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.out()).contains("fail  privileges   shop: may not read 1 relation(s): public.secrets; fix: GRANT SELECT",
                "fail  config", "holds a password and others may read it; fix: chmod 600 " + cfg.toAbsolutePath());
        assertThat(run.out()).doesNotContain(role.password());

        Files.setPosixFilePermissions(cfg, PosixFilePermissions.fromString("rw-------"));
        CliRun json = CliRun.of("doctor", "--config", cfg.toString(), "--json");
        assertThat(json.out()).contains("\"ok\" : false", "\"check\" : \"privileges\"", "only its owner may read it");
    }

    @Test
    void anUnreachableServerFailsNamingIt() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path cfg = config("    url: postgresql://postgres@127.0.0.1:" + port + "/nowhere\n", "rw-------");
        CliRun run = CliRun.of("doctor", "--config", cfg.toString(), "--all");
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.out()).contains("fail  server       shop: cannot reach PostgreSQL at 127.0.0.1:" + port);
    }
}
