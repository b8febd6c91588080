package dbtool.config;

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
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Config and connection mistakes: the right exit code, one line naming cause and fix, never a secret. */
class ConfigErrorsIT {

    private static final String SECRET = "Zx9-very-secret-pw";

    @TempDir
    Path dir;

    private TestServer server;
    private TestDatabase db;

    @BeforeEach
    void database() {
        server = PgServers.defaultServer();
        db = server.createDatabase("cfgerr");
        db.execute("create table t(id int)", "insert into t values (1), (2)");
    }

    @AfterEach
    void drop() {
        db.drop();
    }

    private Path config(String yaml) throws IOException {
        return Files.writeString(dir.resolve("dbtool.yaml"), yaml);
    }

    private Path out() {
        return dir.resolve("out");
    }

    /**
     * The contract for every expected failure without -v: exactly one error line, the last one. Runs
     * without -q may show progress ("info exporting ...") before it; nothing else: no warning, no trace.
     */
    private static void assertFailure(CliRun run, int code, String... fragments) {
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(code);
        List<String> lines = run.errLines();
        assertThat(lines).as(run.toString()).isNotEmpty();
        String error = lines.get(lines.size() - 1);
        assertThat(error).as(run.toString()).startsWith("dbtool: error:");
        assertThat(lines.subList(0, lines.size() - 1)).as(run.toString()).allMatch(l -> l.matches("\\S+ info .*"));
        assertThat(run.err()).as(run.toString()).doesNotContain("at dbtool.");
        for (String f : fragments) {
            assertThat(error).as(run.toString()).contains(f);
        }
    }

    private static void assertNoSecret(CliRun run, String secret) {
        assertThat(run.out()).as(run.toString()).doesNotContain(secret);
        assertThat(run.err()).as(run.toString()).doesNotContain(secret);
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort(); // closed again when this returns: nothing listens there
        }
    }

    @Test
    void unknownProjectNamesTheKnownOnes() throws IOException {
        Path cfg = config("projects:\n  old:\n    url: " + db.url() + "\n  new:\n    url: " + db.url() + "\n");
        CliRun run = CliRun.of("export", "--config", cfg.toString(), "--project", "olld", "--output", out().toString());
        assertFailure(run, 2, "olld", "old", "new");
        assertThat(out()).doesNotExist();
    }

    @Test
    void badYamlNamesFileAndLine() throws IOException {
        Path cfg = config("projects:\n  old:\n    url: " + db.url() + "\n    output: [oops\n");
        assertFailure(CliRun.of("export", "--config", cfg.toString(), "--project", "old"), 2, cfg.toString(), "line");
    }

    @Test
    void unknownKeyNamesKeyAndFile() throws IOException {
        Path cfg = config("projects:\n  old:\n    url: " + db.url() + "\n    backup:\n      kep_last: 3\n");
        assertFailure(CliRun.of("export", "--config", cfg.toString(), "--project", "old"), 2, "kep_last", cfg.toString());
    }

    @Test
    void missingConfigFile() {
        assertFailure(CliRun.of("export", "--config", dir.resolve("nope.yaml").toString(), "--project", "x"), 2, "nope.yaml");
    }

    @Test
    void unreachableServerIsARuntimeFailure() throws IOException {
        int port = closedPort();
        CliRun run = CliRun.of("export", "--url", "postgresql://postgres@127.0.0.1:" + port + "/x", "--output", out().toString());
        assertFailure(run, 1, "127.0.0.1:" + port);
        assertThat(out()).doesNotExist();
    }

    @Test
    void passwordInUrlIsNeverEchoed() throws IOException {
        int port = closedPort();
        String url = "postgresql://someone:" + SECRET + "@127.0.0.1:" + port + "/x";
        CliRun run = CliRun.of("export", "--url", url, "--output", out().toString());
        assertFailure(run, 1);
        assertNoSecret(run, SECRET);
        CliRun verbose = CliRun.of("export", "-v", "--url", url, "--output", out().toString());
        assertThat(verbose.exitCode()).isEqualTo(1);
        assertNoSecret(verbose, SECRET);
        for (String bad : new String[] {"mysql://u:" + SECRET + "@h/x", "postgresql://u:" + SECRET + "@h:5432/",
            "postgresql://u:" + SECRET + "@h:54x2/x"}) {
            CliRun r = CliRun.of("export", "--url", bad, "--output", out().toString());
            assertFailure(r, 2);
            assertNoSecret(r, SECRET);
        }
    }

    @Test
    void wrongPasswordIsAUsageErrorAndNeverEchoed() throws IOException {
        TestRole role = server.createRole("cfgerr_role", "the-right-one");
        db.execute("grant all on table t to " + role.name());
        Path cfg = config("projects:\n  app:\n    url: " + db.url() + "\n    user: " + role.name()
                + "\n    password: " + SECRET + "\n");
        CliRun run = CliRun.of("export", "--config", cfg.toString(), "--project", "app", "--output", out().toString());
        assertFailure(run, 2, "authentication failed", role.name(), "password");
        assertNoSecret(run, SECRET);
        CliRun verbose = CliRun.of("export", "-v", "--config", cfg.toString(), "--project", "app", "--output", out().toString());
        assertThat(verbose.exitCode()).as(verbose.toString()).isEqualTo(2);
        assertThat(verbose.errLines()).as(verbose.toString()).anyMatch(l -> l.startsWith("dbtool: error: authentication failed"));
        assertNoSecret(verbose, SECRET);
        // The same password in the URL instead of the config.
        String url = "postgresql://" + role.name() + ":" + SECRET + "@" + server.host() + ":" + server.port() + "/" + db.name();
        CliRun viaUrl = CliRun.of("export", "-v", "--url", url, "--output", out().toString());
        assertThat(viaUrl.exitCode()).as(viaUrl.toString()).isEqualTo(2);
        assertNoSecret(viaUrl, SECRET);
        assertThat(out()).doesNotExist();
    }

    /** No password at all for a role that needs one is a config mistake too, not "is the server running?". */
    @Test
    void missingPasswordIsAUsageError() throws IOException {
        TestRole role = server.createRole("cfgerr_nopw", "needed-but-not-given");
        String url = "postgresql://" + role.name() + "@" + server.host() + ":" + server.port() + "/" + db.name();
        CliRun run = CliRun.of("export", "--url", url, "--output", out().toString());
        assertFailure(run, 2, "password");
        assertThat(run.err()).doesNotContain("is the server running");
    }

    @Test
    void variablesWithDefaultsAreExpanded() throws IOException {
        // Tests cannot set environment variables in-process; the :-default path is the one exercised end to end.
        Path cfg = config("projects:\n  app:\n    url: postgresql://${DBTOOL_TEST_SURELY_UNSET_HOST:-" + server.host() + "}:"
                + "${DBTOOL_TEST_SURELY_UNSET_PORT:-" + server.port() + "}/" + db.name() + "\n"
                + "    user: ${DBTOOL_TEST_SURELY_UNSET_USER:-" + server.superuser() + "}\n"
                + "    password: ${DBTOOL_TEST_SURELY_UNSET_PW}\n"
                + "    output: ${DBTOOL_TEST_SURELY_UNSET_OUT:-" + out() + "}\n");
        CliRun run = CliRun.of("export", "--config", cfg.toString(), "--project", "app", "-q");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(Path.of(run.lastOutLine())).isRegularFile().hasParent(out());
        assertThat(run.lastOutLine()).contains("app-");
    }

    @Test
    void cleanWithoutYesIsRefused() throws IOException {
        Path archive = Files.writeString(dir.resolve("a.tar.gz"), "irrelevant: refused before it is read");
        assertFailure(CliRun.of("import", archive.toString(), "--url", CliUrls.superuser(db), "--clean"), 2, "--yes");
        assertThat(db.queryLong("select count(*) from t")).isEqualTo(2);
    }

    @Test
    void projectAndUrlTogetherAreRefused() throws IOException {
        Path cfg = config("projects:\n  app:\n    url: " + db.url() + "\n");
        assertFailure(CliRun.of("export", "--config", cfg.toString(), "--project", "app", "--url", CliUrls.superuser(db),
                "--output", out().toString()), 2, "--project", "--url");
        assertThat(out()).doesNotExist();
        Path archive = Files.writeString(dir.resolve("a.tar.gz"), "x");
        assertFailure(CliRun.of("import", archive.toString(), "--config", cfg.toString(), "--project", "app", "--url",
                CliUrls.superuser(db)), 2, "--project", "--url");
    }

    @Test
    void unknownFlagIsAUsageError() {
        assertFailure(CliRun.of("export", "--no-such-flag"), 2, "--no-such-flag");
    }
}
