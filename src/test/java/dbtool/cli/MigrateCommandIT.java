package dbtool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dbtool.backup.ProjectLock;
import dbtool.testing.CliRun;
import dbtool.testing.PgServers;
import dbtool.testing.S3Server;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.S3Object;

/** dbtool migrate as a user runs it: config, project lock, exit codes and the --json document. */
class MigrateCommandIT {
    @TempDir
    Path tmp;
    private TestDatabase db;
    private Path migrations;
    private Path backups;
    private Path cfg;

    @BeforeEach
    void setUp() throws IOException {
        TestServer server = PgServers.defaultServer();
        db = server.createDatabase("migratecli");
        db.execute("CREATE TABLE cat_lovers (id serial PRIMARY KEY, name text NOT NULL)",
                "INSERT INTO cat_lovers (name) VALUES ('Ann'), ('Bob')");
        migrations = Files.createDirectories(tmp.resolve("migrations"));
        backups = tmp.resolve("backups");
        String password = server.superuserPassword();
        cfg = Files.writeString(tmp.resolve("dbtool.yaml"), "projects:\n  p:\n    url: " + db.url() + "\n"
                + "    user: " + server.superuser() + "\n"
                + (password == null || password.isEmpty() ? "" : "    password: '" + password + "'\n")
                + "    migrations: " + migrations + "\n"
                + "    backup:\n      dir: " + backups + "\n");
    }

    @AfterEach
    void dropDatabase() {
        db.drop();
    }

    @Test
    void heldProjectLockStopsMigrateAtOnceButNotADryRun() throws IOException {
        Files.writeString(migrations.resolve("V2__add_note.sql"), "ALTER TABLE cat_lovers ADD COLUMN note text;\n");

        try (ProjectLock backupRunning = ProjectLock.acquire(backups, "p")) {
            CliRun run = CliRun.of("--config", cfg.toString(), "migrate", "--project", "p");

            assertThat(run.exitCode()).as(run.toString()).isEqualTo(5);
            assertThat(run.errLines()).as(run.toString()).singleElement().asString()
                    .contains("not migrating project 'p'", "nothing was changed", backupRunning.file().toString());
            assertThat(db.queryString("SELECT to_regclass('dbtool_schema_history')::text")).isNull();
            assertThat(noteColumns()).isZero();
            assertThat(archives()).isEmpty();

            // A dry run touches nothing, so it does not wait for the lock.
            CliRun dry = CliRun.of("--config", cfg.toString(), "migrate", "--project", "p", "--dry-run");
            assertThat(dry.exitCode()).as(dry.toString()).isZero();
            assertThat(dry.out()).contains("would apply V2__add_note.sql");
        }

        CliRun run = CliRun.of("--config", cfg.toString(), "migrate", "--project", "p");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(noteColumns()).isEqualTo(1);
        assertThat(archives()).hasSize(1);
        // Released at the end of the run: a backup can take it again.
        try (ProjectLock again = ProjectLock.acquire(backups, "p")) {
            assertThat(again.takenOverFrom()).isEmpty();
        }
    }

    /**
     * backup.dir in a bucket: the safety snapshot goes into the bucket, under the project's lock object there, so a
     * backup of the project on another host (which takes that lock) cannot run meanwhile.
     */
    @Test
    void withABucketBackupDirTheSnapshotGoesIntoTheBucketUnderItsLockObject() throws IOException {
        S3Server s3 = S3Server.shared();
        String bucket = s3.createBucket("migrate");
        Files.writeString(migrations.resolve("V2__add_note.sql"), "ALTER TABLE cat_lovers ADD COLUMN note text;\n");
        Files.writeString(cfg, "defaults:\n" + s3.storageYaml()
                + Files.readString(cfg).replace("dir: " + backups, "dir: s3://" + bucket + "/nightly/{project}"));
        String future = Instant.now().plus(Duration.ofHours(1)).toString();
        s3.client().putObject(b -> b.bucket(bucket).key("nightly/p/p.lock"), RequestBody.fromString(
                "pid=4242\nhost=db-busy\nstarted=" + Instant.now() + "\nexpires=" + future + "\ntoken=abc\n"));

        CliRun locked = CliRun.withEnvironment(s3.environment(), "--config", cfg.toString(), "migrate", "--project", "p");
        assertThat(locked.exitCode()).as(locked.toString()).isEqualTo(5);
        assertThat(locked.errLines()).last().asString().contains("not migrating project 'p'", "nothing was changed");
        assertThat(noteColumns()).isZero();

        s3.client().deleteObject(b -> b.bucket(bucket).key("nightly/p/p.lock"));
        CliRun migrate = CliRun.withEnvironment(s3.environment(), "--config", cfg.toString(), "migrate", "--project", "p");
        assertThat(migrate.exitCode()).as(migrate.toString()).isZero();
        assertThat(noteColumns()).isEqualTo(1);
        List<String> keys = s3.objects(bucket, "nightly/p/").stream().map(S3Object::key).toList();
        assertThat(keys).as("snapshot and sidecar in the bucket, the lock released")
                .anyMatch(k -> k.endsWith(".snapshot.tar.gz"))
                .anyMatch(k -> k.endsWith(".snapshot.tar.gz.sha256"))
                .noneMatch(k -> k.endsWith(".lock"));
        assertThat(migrate.out()).contains("safety snapshot: s3://" + bucket + "/nightly/p/");
        assertThat(backups).doesNotExist();

        CliRun list = CliRun.withEnvironment(s3.environment(), "--config", cfg.toString(), "backups", "list",
                "--project", "p");
        assertThat(list.out()).as(list.toString()).containsPattern("snapshot\\.tar\\.gz.*migration safety snapshot");
    }

    /** The snapshot is not a backup: keep_last 1 keeps it, and backups list says what it is. */
    @Test
    void theSafetySnapshotSurvivesRetentionAndIsListedAsASnapshot() throws IOException {
        Files.writeString(migrations.resolve("V2__add_note.sql"), "ALTER TABLE cat_lovers ADD COLUMN note text;\n");
        Files.writeString(cfg, Files.readString(cfg) + "      keep_last: 1\n");
        CliRun migrate = CliRun.of("--config", cfg.toString(), "migrate", "--project", "p");
        assertThat(migrate.exitCode()).as(migrate.toString()).isZero();
        List<Path> snapshots = archives();
        assertThat(snapshots).singleElement().asString().endsWith(".snapshot.tar.gz");

        for (int i = 0; i < 2; i++) {
            CliRun backup = CliRun.of("--config", cfg.toString(), "backup", "--project", "p");
            assertThat(backup.exitCode()).as(backup.toString()).isZero();
        }
        assertThat(archives()).contains(snapshots.get(0)).hasSize(2);
        CliRun list = CliRun.of("--config", cfg.toString(), "backups", "list", "--project", "p");
        assertThat(list.out()).containsPattern(snapshots.get(0).getFileName() + ".*migration safety snapshot");
        CliRun json = CliRun.of("--config", cfg.toString(), "--json", "backups", "list", "--project", "p");
        assertThat(json.out()).contains("\"snapshot\" : true", "\"snapshot\" : false");
    }

    /** No keep_* key: every run keeps every archive, and says once that no policy is set. */
    @Test
    void backupWithoutRetentionRulesDeletesNothingAndSaysSo() throws IOException {
        for (int i = 0; i < 2; i++) {
            CliRun backup = CliRun.of("--config", cfg.toString(), "backup", "--project", "p");
            assertThat(backup.exitCode()).as(backup.toString()).isZero();
            assertThat(backup.err().split("no retention policy is set", -1)).as(backup.toString()).hasSize(2);
        }
        assertThat(archives()).hasSize(2);
        CliRun list = CliRun.of("--config", cfg.toString(), "backups", "list", "--project", "p");
        assertThat(list.out()).contains("2 archive(s)", "no retention policy is set");
    }

    @Test
    void dryRunJsonWithLintFindingsIsOneDocumentWithPlanAndFindings() throws IOException {
        Files.writeString(migrations.resolve("V2__index_names.sql"),
                "CREATE INDEX cat_lovers_name_idx ON cat_lovers (name);\n");

        CliRun run = CliRun.of("--json", "--config", cfg.toString(), "migrate", "--project", "p", "--dry-run");

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(6);
        JsonNode doc = onlyDocument(run);
        assertThat(doc.get("ok").asBoolean()).isFalse();
        assertThat(doc.get("exit_code").asInt()).isEqualTo(6);
        assertThat(doc.get("error").asText()).contains("1 lint finding");
        assertThat(doc.get("dry_run").asBoolean()).isTrue();
        assertThat(doc.get("would_apply")).extracting(JsonNode::asText).containsExactly("V2__index_names.sql");
        assertThat(doc.get("lint_findings")).singleElement().satisfies(f -> {
            assertThat(f.get("rule").asText()).isEqualTo("create-index-non-concurrently");
            assertThat(f.get("file").asText()).endsWith("V2__index_names.sql");
            assertThat(f.get("line").asInt()).isEqualTo(1);
            assertThat(f.get("message").asText()).isNotBlank();
            assertThat(f.get("safe_alternative").asText()).contains("CONCURRENTLY");
        });
        assertThat(db.queryString("SELECT to_regclass('cat_lovers_name_idx')::text")).isNull();

        // Clean files: one document too, with an empty list of findings.
        Files.writeString(migrations.resolve("V2__index_names.sql"),
                "CREATE INDEX CONCURRENTLY cat_lovers_name_idx ON cat_lovers (name);\n");
        CliRun clean = CliRun.of("--json", "--config", cfg.toString(), "migrate", "--project", "p", "--dry-run");
        assertThat(clean.exitCode()).as(clean.toString()).isZero();
        JsonNode cleanDoc = onlyDocument(clean);
        assertThat(cleanDoc.get("lint_findings")).isEmpty();
        assertThat(cleanDoc.get("would_apply")).extracting(JsonNode::asText).containsExactly("V2__index_names.sql");
    }

    @Test
    void dryRunTextWithLintFindingsStillFailsWithTheErrorLine() throws IOException {
        Files.writeString(migrations.resolve("V2__index_names.sql"),
                "CREATE INDEX cat_lovers_name_idx ON cat_lovers (name);\n");

        CliRun run = CliRun.of("--config", cfg.toString(), "migrate", "--project", "p", "--dry-run");

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(6);
        assertThat(run.err()).contains("[create-index-non-concurrently]", "dbtool: error: 1 lint finding");
    }

    private static JsonNode onlyDocument(CliRun run) throws IOException {
        try (MappingIterator<JsonNode> docs = new ObjectMapper().readerFor(JsonNode.class).readValues(run.out())) {
            List<JsonNode> all = docs.readAll();
            assertThat(all).as(run.toString()).hasSize(1);
            return all.get(0);
        }
    }

    private long noteColumns() {
        return db.queryLong("SELECT count(*) FROM information_schema.columns"
                + " WHERE table_name = 'cat_lovers' AND column_name = 'note'");
    }

    private List<Path> archives() throws IOException {
        if (!Files.isDirectory(backups)) {
            return List.of();
        }
        try (var files = Files.list(backups)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".tar.gz")).toList();
        }
    }
}
