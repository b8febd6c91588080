package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.archive.ArchiveReader;
import dbtool.testing.CliRun;
import dbtool.testing.CliUrls;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestRole;
import dbtool.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * export --globals carries the source server's roles; import --globals creates on another server only
 * the roles it lacks, leaves existing ones alone, and still restores without superuser rights.
 */
class GlobalsIT {

    private static final TestServer SOURCE = PgServers.defaultServer();
    /** A second server: roles are server-wide, so only another server can lack them. */
    private static final TestServer TARGET = PgServers.embedded(17);

    private final String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    private final String owner = "gl_owner_" + suffix;
    private final String member = "gl_member_" + suffix;
    private final List<Runnable> cleanup = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).run();
        }
    }

    /** A source database with a table owned by a role of its own, which has a setting and a member. */
    private TestDatabase sourceWithRoles() {
        cleanup.add(() -> admin(SOURCE, "drop role if exists " + member, "drop role if exists " + owner));
        TestDatabase source = SOURCE.createDatabase("globals_src");
        cleanup.add(source::drop);
        admin(SOURCE, "create role " + owner + " nologin", "alter role " + owner + " set statement_timeout = '17s'",
                "create role " + member + " login password 'member-secret'", "grant " + owner + " to " + member);
        source.execute("create table cats (id int primary key, name text)",
                "insert into cats select g, 'cat ' || g from generate_series(1, 300) g",
                "alter table cats owner to " + owner);
        return source;
    }

    private static Path export(TestDatabase source, Path dir, String... extra) {
        List<String> args = new ArrayList<>(List.of("export", "--url", CliUrls.superuser(source), "--output",
                dir.toString(), "--globals", "-q"));
        args.addAll(List.of(extra));
        CliRun export = CliRun.of(args);
        assertThat(export.exitCode()).as(export.toString()).isZero();
        return Path.of(export.lastLine());
    }

    private Path exportWithRoles(Path dir) {
        return export(sourceWithRoles(), dir);
    }

    @Test
    void missingRolesAreCreatedExistingOnesLeftAloneAndOwnersKept(@TempDir Path dir) throws Exception {
        Path archive = exportWithRoles(dir);
        cleanup.add(() -> admin(TARGET, "drop role if exists " + member, "drop role if exists " + owner));
        TestDatabase target = TARGET.createDatabase("globals_dst");
        target.drop();
        cleanup.add(target::drop);

        CliRun imported = CliRun.of("--json", "import", archive.toString(), "--url", CliUrls.superuser(target), "--globals",
                "--keep-owners");
        assertThat(imported.exitCode()).as(imported.toString()).isZero();
        // The source server is shared: other tests' roles come along too; they are dropped again afterwards.
        com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(imported.out());
        List<String> created = new ArrayList<>();
        json.path("roles_created").forEach(r -> created.add(r.asText()));
        cleanup.add(1, () -> created.forEach(r -> admin(TARGET, "drop role if exists \"" + r + "\"")));
        assertThat(created).contains(owner, member);
        assertThat(json.path("roles_skipped").toString()).contains("postgres").doesNotContain(owner);
        assertThat(target.queryString("select tableowner from pg_tables where tablename = 'cats'")).isEqualTo(owner);
        assertThat(target.queryString("select array_to_string(rolconfig, ',') from pg_roles where rolname = '" + owner + "'"))
                .isEqualTo("statement_timeout=17s");
        assertThat(target.queryLong("select count(*) from pg_auth_members m join pg_roles r on r.oid = m.roleid"
                + " join pg_roles u on u.oid = m.member where r.rolname = '" + owner + "' and u.rolname = '" + member + "'"))
                .isEqualTo(1);
        // No password went along: the member exists but cannot log in with the source's password.
        assertThat(target.queryString("select rolpassword is null from pg_authid where rolname = '" + member + "'"))
                .isEqualTo("t");

        // A second import finds them all: nothing is created or changed.
        admin(TARGET, "alter role " + owner + " set statement_timeout = '99s'");
        TestDatabase again = TARGET.createDatabase("globals_again");
        cleanup.add(again::drop);
        CliRun second = CliRun.of("--json", "import", archive.toString(), "--url", CliUrls.superuser(again), "--globals");
        assertThat(second.exitCode()).as(second.toString()).isZero();
        assertThat(second.out()).contains("\"roles_created\" : [ ]").contains(owner);
        assertThat(again.queryString("select array_to_string(rolconfig, ',') from pg_roles where rolname = '" + owner + "'"))
                .isEqualTo("statement_timeout=99s");
    }

    @Test
    void withoutSuperuserTheRestoreStillWorksAndSaysWhichRoleIsMissing(@TempDir Path dir) throws Exception {
        Path archive = exportWithRoles(dir);
        TestRole plain = TARGET.createRole("gl_plain", "plain-secret");
        cleanup.add(() -> admin(TARGET, "drop role if exists " + plain.name()));
        TestDatabase target = TARGET.createDatabase("globals_plain");
        cleanup.add(target::drop);
        admin(TARGET, "alter database " + target.name() + " owner to " + plain.name());
        target.execute("alter schema public owner to " + plain.name());
        String url = "postgresql://" + plain.name() + ":plain-secret@" + TARGET.host() + ":" + TARGET.port() + "/" + target.name();

        CliRun keepOwners = CliRun.of("import", archive.toString(), "--url", url, "--globals", "--keep-owners");
        assertThat(keepOwners.exitCode()).as(keepOwners.toString()).isEqualTo(2);
        assertThat(keepOwners.errLines().get(keepOwners.errLines().size() - 1))
                .contains("could not create role(s) ", owner, "permission denied", "--keep-owners needs them",
                        "nothing was restored");
        assertThat(target.queryLong("select count(*) from pg_tables where tablename = 'cats'")).isZero();

        CliRun imported = CliRun.of("import", archive.toString(), "--url", url, "--globals");
        assertThat(imported.exitCode()).as(imported.toString()).isZero();
        List<String> missing = imported.errLines().stream().filter(l -> l.contains("could not create role")).toList();
        assertThat(missing).as(imported.toString()).singleElement().asString()
                .contains(owner, member, "--keep-owners is off, so the restore still works");
        assertThat(target.queryLong("select count(*) from cats")).isEqualTo(300);
        assertThat(target.queryLong("select count(*) from pg_roles where rolname = '" + owner + "'")).isZero();
    }

    @Test
    void globalsFileIsListedChecksummedPrivateAndHasPasswordsOnlyWhenAskedFor(@TempDir Path dir) throws Exception {
        TestDatabase source = sourceWithRoles();
        Path archive = export(source, dir.resolve("plain"));
        assertThat(CliRun.of("--json", "inspect", archive.toString()).out())
                .contains("\"path\" : \"globals.sql\"", "\"role_passwords\" : false", "\"format_version\" : 3");
        Path unpacked = Files.createDirectory(dir.resolve("unpacked"));
        ArchiveReader.read(archive, unpacked, n -> { });
        Path globals = unpacked.resolve("globals.sql");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(globals))).isEqualTo("rw-------");
        String sql = Files.readString(globals, StandardCharsets.UTF_8);
        assertThat(sql).contains("CREATE ROLE " + member).doesNotContain("SCRAM-SHA-256$").doesNotContain("PASSWORD 'md5");
        Process tar = new ProcessBuilder("tar", "-tvzf", archive.toString()).redirectErrorStream(true).start();
        assertThat(new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .containsPattern("-rw------- .* globals.sql");

        Path withPasswords = export(source, dir.resolve("pw"), "--role-passwords");
        Path unpackedPw = Files.createDirectory(dir.resolve("unpacked-pw"));
        ArchiveReader.read(withPasswords, unpackedPw, n -> { });
        assertThat(Files.readString(unpackedPw.resolve("globals.sql"))).containsPattern(member + " .*PASSWORD '(SCRAM-SHA-256\\$|md5)");
    }

    @Test
    void importGlobalsOfAnArchiveWithoutThemIsAUsageError(@TempDir Path dir) {
        TestDatabase source = SOURCE.createDatabase("globals_none");
        cleanup.add(source::drop);
        source.execute("create table t (id int)");
        CliRun export = CliRun.of("export", "--url", CliUrls.superuser(source), "--output", dir.toString(), "-q");
        assertThat(export.exitCode()).as(export.toString()).isZero();
        CliRun imported = CliRun.of("import", export.lastLine(), "--url", CliUrls.superuser(SOURCE, "globals_none_x"),
                "--globals");
        assertThat(imported.exitCode()).isEqualTo(2);
        assertThat(imported.errLines().get(imported.errLines().size() - 1))
                .contains("holds no roles", "export again with --globals");
        assertThat(CliRun.of("export", "--url", CliUrls.superuser(source), "--role-passwords").exitCode()).isEqualTo(2);
    }

    private static void admin(TestServer server, String... sql) {
        try (Connection c = server.connectAdmin(); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        } catch (java.sql.SQLException e) {
            throw new RuntimeException(e);
        }
    }
}
