package dbtool.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.testing.CliRun;
import dbtool.testing.FlakyLink;
import dbtool.testing.PgServers;
import dbtool.testing.S3Server;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The network between dbtool and the bucket fails: connections reset in the middle of a download or an upload,
 * an endpoint that does not answer. A real s3proxy and real PostgreSQL; only the wire in between is made
 * unreliable ({@link FlakyLink}). dbtool retries with backoff and resumes, and when the network stays broken it
 * ends with exit 1 and one line, leaving no object behind.
 */
class S3NetworkIT {

    private static final int ROWS = 200_000;
    private static final long ONE_MB = 1L << 20;

    private static TestServer pg;
    private static S3Server s3;
    private static TestDatabase source;

    @TempDir
    Path tmp;

    @BeforeAll
    static void servers() {
        pg = PgServers.defaultServer();
        s3 = S3Server.shared();
        source = pg.createDatabase("s3_net");
        // md5 text barely compresses: the archive is several MB, so a download passes the cut threshold.
        source.execute("create table events (id bigint primary key, payload text)",
                "insert into events select g, md5(g::text) || md5((g * 3)::text) from generate_series(1, " + ROWS + ") g");
    }

    @AfterAll
    static void drop() {
        source.drop();
    }

    private Map<String, String> environment() {
        Map<String, String> env = new HashMap<>(s3.environment());
        env.put("DBTOOL_WORK_DIR", tmp.resolve("work").toString());
        return env;
    }

    private Path config(URI endpoint) throws IOException {
        String password = pg.superuserPassword();
        String yaml = "defaults:\n  storage:\n    endpoint: " + endpoint + "\n    region: us-east-1\n    path_style: true\n"
                + "projects:\n  net:\n    url: " + source.url() + "\n    user: " + pg.superuser() + "\n"
                + (password == null || password.isEmpty() ? "" : "    password: '" + password + "'\n");
        return Files.writeString(tmp.resolve("dbtool-" + UUID.randomUUID() + ".yaml"), yaml);
    }

    private CliRun dbtool(String... args) {
        return CliRun.withEnvironment(environment(), args);
    }

    /** An archive of the source in a new bucket, written over the healthy network. */
    private String exported(String bucket) throws IOException {
        CliRun export = dbtool("export", "--project", "net", "--output", "s3://" + bucket + "/net",
                "--config", config(s3.endpoint()).toString(), "-q");
        assertThat(export.exitCode()).as(export.toString()).isZero();
        return export.lastLine();
    }

    @Test
    void aDownloadBrokenTwiceIsResumedAndTheArchiveChecksOut() throws Exception {
        String archive = exported(s3.createBucket("resume"));
        try (FlakyLink link = new FlakyLink(s3.endpoint(), ONE_MB, false)) {
            Path flaky = config(link.endpoint());
            link.cutNext(2);
            CliRun verify = dbtool("verify", archive, "--config", flaky.toString());
            assertThat(verify.exitCode()).as(verify.toString()).isZero();
            assertThat(link.cuts()).as("connections broken mid-download").isEqualTo(2);

            link.cutNext(1);
            String name = "s3_net_restored_" + UUID.randomUUID().toString().substring(0, 8);
            String target = pg.url(name);
            try {
                CliRun imported = dbtool("import", archive, "--url", target, "--config", flaky.toString());
                assertThat(imported.exitCode()).as(imported.toString()).isZero();
                assertThat(imported.out()).contains("all row counts match the manifest");
                assertThat(link.cuts()).isEqualTo(3);
            } finally {
                pg.dropDatabase(name);
            }
        }
    }

    @Test
    void aConnectionThatKeepsBreakingIsExit1WithOneLine() throws Exception {
        String archive = exported(s3.createBucket("broken"));
        try (FlakyLink link = new FlakyLink(s3.endpoint(), ONE_MB, false)) {
            link.cutNext(1000);
            CliRun verify = dbtool("verify", archive, "--config", config(link.endpoint()).toString());
            assertThat(verify.exitCode()).as(verify.toString()).isEqualTo(1);
            assertThat(verify.errLines()).as(verify.toString()).hasSize(1);
            assertThat(verify.errLines().get(0)).contains(archive).contains("broke").contains("run the command again");
            assertThat(link.cuts()).as("retried before giving up").isGreaterThan(1);
        }
    }

    @Test
    void anUploadBrokenOnceIsRetriedAndTheArchiveIsWhole() throws Exception {
        String bucket = s3.createBucket("upload");
        try (FlakyLink link = new FlakyLink(s3.endpoint(), 3 * ONE_MB, true)) {
            link.cutNext(1);
            CliRun export = dbtool("export", "--project", "net", "--output", "s3://" + bucket + "/net",
                    "--config", config(link.endpoint()).toString(), "-q");
            assertThat(export.exitCode()).as(export.toString()).isZero();
            assertThat(link.cuts()).as("the upload was broken once").isEqualTo(1);
            CliRun verify = dbtool("verify", export.lastLine(), "--config", config(s3.endpoint()).toString());
            assertThat(verify.exitCode()).as(verify.toString()).isZero();
            assertThat(s3.uploads(bucket, "")).as("no unfinished uploads").isEmpty();
        }
    }

    @Test
    void anEndpointThatDoesNotAnswerIsExit1BeforeAnyWork() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        URI nowhere = URI.create("http://127.0.0.1:" + closedPort);
        CliRun export = dbtool("export", "--project", "net", "--output", "s3://nowhere/net",
                "--config", config(nowhere).toString());
        assertThat(export.exitCode()).as(export.toString()).isEqualTo(1);
        assertThat(export.errLines()).as(export.toString()).filteredOn(l -> l.contains("error")).hasSize(1);
        assertThat(export.errLines()).last().asString().contains(nowhere.toString()).contains("retried with backoff")
                .contains("storage.endpoint");
        assertThat(export.err()).doesNotContain("\tat ");
        Path work = tmp.resolve("work");
        if (Files.isDirectory(work)) {
            try (var files = Files.list(work)) {
                assertThat(files.toList()).as("nothing left in the work dir").isEmpty();
            }
        }
    }
}
