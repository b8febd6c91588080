package dbtool.migrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.Reporter;
import dbtool.archive.Compression;
import dbtool.config.ConnectionSettings;
import dbtool.config.MigrateSettings;
import dbtool.pg.PgToolLocator;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestServer;
import dbtool.transfer.ExportOptions;
import dbtool.transfer.Exporter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dbtool migrate's core against a real server, with the project's cat lovers example. */
class MigratorIT {
    private static final Path CAT_LOVERS = Path.of("migrations/old");
    private static final MigrateSettings SETTINGS = new MigrateSettings(CAT_LOVERS, Duration.ofSeconds(2),
            Duration.ofMinutes(10), 10, Duration.ofDays(7));
    /** Fails the test if a snapshot is taken where none may be. */
    private static final SafetySnapshot NO_SNAPSHOT_EXPECTED = () -> fail("no snapshot expected");

    @TempDir
    Path tmp;
    private TestServer server;
    private TestDatabase db;
    private ConnectionSettings target;
    private final RecordingReporter reporter = new RecordingReporter();

    @BeforeEach
    void createDatabase() {
        server = PgServers.defaultServer();
        db = server.createDatabase("migrate");
        target = ConnectionSettings.parse(db.url()).withCredentials(server.superuser(), server.superuserPassword());
        // The v1 schema of the running example, as it exists before dbtool migrate is first used.
        db.execute("CREATE TABLE cat_lovers (id serial PRIMARY KEY, name text NOT NULL, email text,"
                        + " cat_name text, cat_color text)",
                "INSERT INTO cat_lovers (name, email, cat_name, cat_color) VALUES"
                        + " ('Ann', 'ann@example.org', 'Tom', 'grey'), ('Bob', NULL, NULL, NULL),"
                        + " ('Cid', 'cid@example.org', 'Felix', NULL), ('Dee', NULL, 'Luna', 'black')");
    }

    @AfterEach
    void dropDatabase() {
        db.drop();
    }

    @Test
    void catLoversExampleExpandsThenContracts() throws IOException {
        // The real v1 database of the example (300 members, names that test quoting and encodings).
        db.execute("DROP TABLE cat_lovers", Files.readString(Path.of("scripts/examples/catlovers.sql")));
        long withCats = db.queryLong("SELECT count(*) FROM cat_lovers WHERE cat_name IS NOT NULL");
        Path backups = tmp.resolve("backups");
        Migrator migrator = new Migrator(reporter, exportInto(backups));

        MigrateReport expand = migrator.migrate(options(CAT_LOVERS, false, false, true));

        assertThat(expand.applied()).extracting(AppliedMigration::script)
                .containsExactly("V2__create_cats.sql", "V3__mirror_cats.sql", "V4__copy_cats.sql");
        assertThat(expand.heldBack()).extracting(PendingMigration::script)
                .containsExactly("V5__contract_drop_cat_columns.sql", "V6__contract_many_cats_per_lover.sql");
        assertThat(reporter.infos).anyMatch(s -> s.startsWith("V4__copy_cats.sql: copied " + withCats + " row(s) in"));
        assertThat(reporter.infos).anyMatch(s -> s.contains("stopping before contract step V5"));
        assertThat(Path.of(expand.snapshot())).isRegularFile().startsWith(backups);
        assertThat(reporter.infos).anyMatch(s -> s.contains("safety snapshot: " + expand.snapshot()));
        assertThat(db.queryLong("SELECT count(*) FROM cats")).isEqualTo(withCats).isGreaterThan(200);
        assertCatsMirrorCatLovers();
        // History: baseline at V1, then V2-V4 with checksum, who, when and how long.
        assertThat(db.queryLong("SELECT count(*) FROM dbtool_schema_history WHERE version = '1' AND type = 'BASELINE'"))
                .isEqualTo(1);
        assertThat(db.queryLong("SELECT count(*) FROM dbtool_schema_history WHERE version IN ('2', '3', '4')"
                + " AND success AND checksum IS NOT NULL AND installed_by = '" + server.superuser() + "'"
                + " AND installed_on IS NOT NULL AND execution_time >= 0")).isEqualTo(3);

        // An old application version signs someone up the old way: the V3 trigger writes the cat to cats too.
        db.execute("INSERT INTO cat_lovers (name, cat_name, cat_color) VALUES ('Eve', 'Mittens', 'white')",
                "UPDATE cat_lovers SET cat_color = 'ginger' WHERE name = 'Member 1'",
                "UPDATE cat_lovers SET cat_name = NULL, cat_color = NULL WHERE name = 'Member 2'",
                "UPDATE cat_lovers SET cat_name = 'Kitty' WHERE name = 'No Cat Nora'");
        assertCatsMirrorCatLovers();

        // Nothing left but the contract step: a plain run does nothing and takes no snapshot.
        MigrateReport again = new Migrator(reporter, NO_SNAPSHOT_EXPECTED).migrate(options(CAT_LOVERS, false, false, true));
        assertThat(again.applied()).isEmpty();

        // The interim period has not passed: --contract is refused and nothing changes.
        assertThatThrownBy(() -> migrator.migrate(options(CAT_LOVERS, true, false, true)))
                .isInstanceOfSatisfying(DbToolException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
                    assertThat(e.getMessage()).contains("V5__contract_drop_cat_columns.sql", "interim_period is 7d",
                            "--force");
                });
        assertThat(catColumns()).isEqualTo(2);

        // --force applies it anyway, and says so.
        MigrateReport contract = migrator.migrate(options(CAT_LOVERS, true, true, true));

        assertThat(contract.applied()).extracting(AppliedMigration::script)
                .containsExactly("V5__contract_drop_cat_columns.sql", "V6__contract_many_cats_per_lover.sql");
        assertThat(reporter.warnings).anyMatch(s -> s.startsWith("--force: applying contract step V5"));
        assertThat(catColumns()).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgname = 'cat_lovers_mirror_cat'")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM cats")).isEqualTo(withCats + 1);
        // Contracted: a cat lover may now have any number of cats.
        db.execute("INSERT INTO cats (name, color, cat_lover_id) SELECT 'Second', 'black', id FROM cat_lovers"
                + " WHERE name = 'Member 1'");
        assertThat(db.queryLong("SELECT count(*) FROM cats c JOIN cat_lovers cl ON cl.id = c.cat_lover_id"
                + " WHERE cl.name = 'Member 1'")).isEqualTo(2);
    }

    @Test
    void contractStepRunsWithoutForceOnceTheInterimPeriodIsOver() {
        new Migrator(reporter, NO_SNAPSHOT_EXPECTED).migrate(options(CAT_LOVERS, false, false, false));
        Clock eightDaysLater = Clock.offset(Clock.systemUTC(), Duration.ofDays(8));

        MigrateReport contract = new Migrator(reporter, NO_SNAPSHOT_EXPECTED, eightDaysLater, Backoff.DEFAULT)
                .migrate(options(CAT_LOVERS, true, false, false));

        assertThat(contract.applied()).extracting(AppliedMigration::version).containsExactly("5", "6");
        assertThat(reporter.warnings).noneMatch(s -> s.contains("--force"));
        assertThat(catColumns()).isZero();
    }

    @Test
    void falseVerifyLineRollsBackItsMigration() throws IOException {
        Path dir = migrations("V2__fill_emails.sql", """
                UPDATE cat_lovers SET email = lower(name) || '@example.org' WHERE email IS NULL;
                -- dbtool:verify (select count(*) from cat_lovers where email like '%@example.com') = 4
                """);

        assertThatThrownBy(() -> new Migrator(reporter, NO_SNAPSHOT_EXPECTED).migrate(options(dir, false, false, false)))
                .isInstanceOfSatisfying(DbToolException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCode.VALIDATION);
                    assertThat(e.getMessage()).contains("V2__fill_emails.sql:2", "check failed", "it is false",
                            "like '%@example.com') = 4", "rolled back");
                });
        assertThat(db.queryLong("SELECT count(*) FROM cat_lovers WHERE email IS NULL")).isEqualTo(2);
        assertThat(db.queryLong("SELECT count(*) FROM dbtool_schema_history WHERE version = '2' AND success")).isZero();
    }

    @Test
    void migrationWaitingForALockRetriesWhileWritesGoOn() throws Exception {
        Duration lockTimeout = Duration.ofMillis(500);
        MigrateSettings settings = new MigrateSettings(tmp, lockTimeout, Duration.ofMinutes(1), 10, Duration.ofDays(7));
        Path dir = migrations("V2__add_note.sql", "ALTER TABLE cat_lovers ADD COLUMN note text;\n");
        Migrator migrator = new Migrator(reporter, NO_SNAPSHOT_EXPECTED, Clock.systemUTC(),
                new Backoff(Duration.ofMillis(300), Duration.ofSeconds(1)));

        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger inserted = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicLong slowestMillis = new AtomicLong();
        try (Connection blocker = db.connect(); Connection writer = db.connect()) {
            // A long-running reader: its ACCESS SHARE lock lets writes through but not the ALTER TABLE.
            blocker.setAutoCommit(false);
            try (Statement st = blocker.createStatement()) {
                st.execute("SELECT count(*) FROM cat_lovers");
            }
            CompletableFuture<Void> release = CompletableFuture.runAsync(() -> commit(blocker),
                    CompletableFuture.delayedExecutor(3, TimeUnit.SECONDS));
            // The live site: inserts that give up after a little more than the migration's lock_timeout.
            CompletableFuture<Void> writes = CompletableFuture.runAsync(() -> {
                try (Statement st = writer.createStatement()) {
                    st.execute("SET statement_timeout = '" + (lockTimeout.toMillis() + 1000) + "ms'");
                    while (!done.get()) {
                        long start = System.nanoTime();
                        try {
                            st.execute("INSERT INTO cat_lovers (name) VALUES ('writer')");
                            inserted.incrementAndGet();
                        } catch (SQLException e) {
                            failed.incrementAndGet();
                        }
                        slowestMillis.accumulateAndGet((System.nanoTime() - start) / 1_000_000, Math::max);
                        Thread.sleep(20);
                    }
                } catch (SQLException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });

            MigrateReport report;
            try {
                report = migrator.migrate(new MigrateOptions(target, dir, null, false, false, false, false, settings));
            } finally {
                done.set(true);
            }
            release.get(10, TimeUnit.SECONDS);
            writes.get(10, TimeUnit.SECONDS);

            assertThat(report.applied()).singleElement().satisfies(a -> assertThat(a.retries()).isPositive());
            assertThat(reporter.warnings).anyMatch(s -> s.contains("V2__add_note.sql timed out after lock_timeout 500ms"));
            assertThat(db.queryLong("SELECT count(*) FROM information_schema.columns"
                    + " WHERE table_name = 'cat_lovers' AND column_name = 'note'")).isEqualTo(1);
            assertThat(failed.get()).isZero();
            assertThat(inserted.get()).isGreaterThan(30); // ~3 s of writes at one per 20+ ms, during the wait
            assertThat(slowestMillis.get()).isLessThan(lockTimeout.toMillis() + 1000);
        }
    }

    @Test
    void migrationThatNeverGetsItsLockGivesUpNamingTheSubSecondTimeout() throws Exception {
        MigrateSettings settings = new MigrateSettings(tmp, Duration.ofMillis(200), Duration.ofMinutes(1), 1,
                Duration.ofDays(7));
        Path dir = migrations("V2__add_note.sql", "ALTER TABLE cat_lovers ADD COLUMN note text;\n");
        Migrator migrator = new Migrator(reporter, NO_SNAPSHOT_EXPECTED, Clock.systemUTC(),
                new Backoff(Duration.ofMillis(100), Duration.ofMillis(100)));

        try (Connection blocker = db.connect()) {
            // Holds ACCESS SHARE on cat_lovers for the whole run: the ALTER TABLE can never get its lock.
            blocker.setAutoCommit(false);
            try (Statement st = blocker.createStatement()) {
                st.execute("SELECT count(*) FROM cat_lovers");
            }

            assertThatThrownBy(() -> migrator.migrate(new MigrateOptions(target, dir, null, false, false, false,
                    false, settings)))
                    .isInstanceOfSatisfying(DbToolException.class, e -> {
                        assertThat(e.exitCode()).isEqualTo(ExitCode.RUNTIME);
                        assertThat(e.getMessage()).contains("V2__add_note.sql could not get its locks within"
                                + " lock_timeout 200ms in 2 attempts");
                    });
            assertThat(reporter.warnings).anyMatch(s -> s.contains("timed out after lock_timeout 200ms")
                    && s.contains("retrying in 100ms"));
            blocker.rollback();
        }
    }

    @Test
    void failedConcurrentIndexLeavesNoInvalidIndex() throws IOException {
        Path dir = migrations("V2__unique_cat_names.sql",
                "CREATE UNIQUE INDEX CONCURRENTLY cat_lovers_cat_name_key ON cat_lovers (cat_name);\n");
        db.execute("INSERT INTO cat_lovers (name, cat_name) VALUES ('Fay', 'Tom')"); // a second Tom

        assertThatThrownBy(() -> new Migrator(reporter, NO_SNAPSHOT_EXPECTED).migrate(options(dir, false, false, false)))
                .isInstanceOfSatisfying(DbToolException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCode.RUNTIME);
                    assertThat(e.getMessage()).contains("V2__unique_cat_names.sql failed", "23505",
                            "dropped the invalid index \"public\".\"cat_lovers_cat_name_key\"");
                });
        assertThat(db.queryLong("SELECT count(*) FROM pg_index WHERE NOT indisvalid")).isZero();
        assertThat(db.queryString("SELECT to_regclass('cat_lovers_cat_name_key')::text")).isNull();
        assertThat(db.queryLong("SELECT count(*) FROM dbtool_schema_history WHERE version = '2'")).isZero();

        // Nothing is left in the way: once the data is fixed the same file goes through.
        db.execute("UPDATE cat_lovers SET cat_name = 'Tom II' WHERE name = 'Fay'");
        MigrateReport report = new Migrator(reporter, NO_SNAPSHOT_EXPECTED).migrate(options(dir, false, false, false));

        assertThat(report.applied()).extracting(AppliedMigration::version).containsExactly("2");
        assertThat(db.queryLong("SELECT count(*) FROM pg_index i WHERE indisvalid"
                + " AND indexrelid = 'cat_lovers_cat_name_key'::regclass")).isEqualTo(1);
    }

    @Test
    void batchedCopyThatFailsMidwayKeepsItsBatchesAndTheNextRunContinues() throws IOException {
        db.execute("INSERT INTO cat_lovers (name, cat_name) SELECT 'Member ' || g, 'cat' || g"
                + " FROM generate_series(1, 100) AS g");
        migrations("V2__create_cat_names.sql", """
                CREATE TABLE cat_names (cat_lover_id integer PRIMARY KEY, name text NOT NULL CHECK (name <> 'cat55'));
                """);
        Path dir = migrations("V3__copy_cat_names.sql", """
                -- dbtool:batch 10
                INSERT INTO cat_names (cat_lover_id, name)
                SELECT cl.id, cl.cat_name FROM cat_lovers cl
                WHERE cl.id > ${dbtool_batch_after} AND cl.cat_name IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM cat_names n WHERE n.cat_lover_id = cl.id)
                ORDER BY cl.id
                LIMIT 10
                RETURNING cat_lover_id;
                -- dbtool:verify NOT EXISTS (SELECT 1 FROM cat_lovers cl WHERE cl.cat_name IS NOT NULL AND NOT EXISTS (SELECT 1 FROM cat_names n WHERE n.cat_lover_id = cl.id AND n.name = cl.cat_name))
                """);

        // 103 cats (Tom, Felix, Luna, cat1..cat100) by cat lover id: the 6th batch holds cat55, which the table refuses.
        assertThatThrownBy(() -> new Migrator(reporter, NO_SNAPSHOT_EXPECTED).migrate(options(dir, false, false, false)))
                .isInstanceOfSatisfying(DbToolException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCode.RUNTIME);
                    assertThat(e.getMessage()).contains("V3__copy_cat_names.sql failed in batch 6", "23514",
                            "the 5 batch(es) before it (50 row(s)) are committed", "run migrate again");
                });
        assertThat(db.queryLong("SELECT count(*) FROM cat_names")).isEqualTo(50);
        assertThat(db.queryLong("SELECT count(*) FROM dbtool_schema_history WHERE version = '3'")).isZero();

        // Fixed at the source; the next run copies only the 53 cats still missing, then records V3 once.
        db.execute("UPDATE cat_lovers SET cat_name = 'cat55 (renamed)' WHERE cat_name = 'cat55'");
        RecordingReporter again = new RecordingReporter();
        MigrateReport report = new Migrator(again, NO_SNAPSHOT_EXPECTED).migrate(options(dir, false, false, false));

        assertThat(report.applied()).extracting(AppliedMigration::script).containsExactly("V3__copy_cat_names.sql");
        assertThat(again.infos).contains("applying V3__copy_cat_names.sql (in batches of 10 rows) (1 verify check)")
                .anyMatch(s -> s.startsWith("V3__copy_cat_names.sql: copied 53 row(s) in 7 batch(es) in"));
        assertThat(again.progressSteps.get()).isEqualTo(53);
        assertThat(db.queryLong("SELECT count(*) FROM cat_names")).isEqualTo(103);
        assertThat(db.queryLong("SELECT count(*) FROM dbtool_schema_history WHERE version = '3' AND success"))
                .isEqualTo(1);
    }

    @Test
    void batchedCopyWaitsForARowLockedByTheApplicationAndCarriesOn() throws Exception {
        db.execute("CREATE TABLE cat_names (cat_lover_id integer PRIMARY KEY, name text NOT NULL)");
        Path dir = migrations("V2__copy_cat_names.sql", """
                -- dbtool:batch 2
                INSERT INTO cat_names (cat_lover_id, name)
                SELECT cl.id, cl.cat_name FROM cat_lovers cl
                WHERE cl.cat_name IS NOT NULL AND NOT EXISTS (SELECT 1 FROM cat_names n WHERE n.cat_lover_id = cl.id)
                ORDER BY cl.id LIMIT 2 FOR SHARE OF cl;
                """);
        MigrateSettings settings = new MigrateSettings(tmp, Duration.ofMillis(200), Duration.ofMinutes(1), 10,
                Duration.ofDays(7));
        Migrator migrator = new Migrator(reporter, NO_SNAPSHOT_EXPECTED, Clock.systemUTC(),
                new Backoff(Duration.ofMillis(100), Duration.ofMillis(200)));

        try (Connection app = db.connect()) {
            // The application is recolouring Cid's cat and has not committed: the batch holding Cid must wait.
            app.setAutoCommit(false);
            try (Statement st = app.createStatement()) {
                st.execute("UPDATE cat_lovers SET cat_color = 'ginger' WHERE name = 'Cid'");
            }
            CompletableFuture<MigrateReport> run = CompletableFuture.supplyAsync(() -> migrator.migrate(
                    new MigrateOptions(target, dir, null, false, false, false, false, settings)));
            while (reporter.warnings.stream().noneMatch(s -> s.contains("gave way"))) {
                assertThat(run).isNotDone();
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // polling for the warning, not a delay

            }
            app.commit();
            MigrateReport report = run.get(1, TimeUnit.MINUTES);

            assertThat(report.applied()).hasSize(1);
            assertThat(reporter.warnings).anyMatch(s -> s.startsWith("V2__copy_cat_names.sql: batch 1 gave way")
                    && s.contains("55P03") && s.contains("retrying in"));
            assertThat(db.queryLong("SELECT count(*) FROM cat_names")).isEqualTo(3);
        }
    }

    @Test
    void editedAppliedFileIsRefusedNamingIt() throws IOException {
        Path dir = migrations("V2__add_note.sql", "ALTER TABLE cat_lovers ADD COLUMN note text;\n");
        new Migrator(reporter, NO_SNAPSHOT_EXPECTED).migrate(options(dir, false, false, false));
        Files.writeString(dir.resolve("V2__add_note.sql"), "ALTER TABLE cat_lovers ADD COLUMN notes text;\n");
        Files.writeString(dir.resolve("V3__add_tag.sql"), "ALTER TABLE cat_lovers ADD COLUMN tag text;\n");

        assertThatThrownBy(() -> new Migrator(reporter, NO_SNAPSHOT_EXPECTED).migrate(options(dir, false, false, false)))
                .isInstanceOfSatisfying(DbToolException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
                    assertThat(e.getMessage()).contains("V2__add_note.sql", "changed after it was applied");
                });
        assertThat(db.queryLong("SELECT count(*) FROM information_schema.columns"
                + " WHERE table_name = 'cat_lovers' AND column_name = 'tag'")).isZero();
    }

    @Test
    void dryRunListsThePlanAndTouchesNothing() {
        MigrateReport report = new Migrator(reporter, NO_SNAPSHOT_EXPECTED)
                .migrate(new MigrateOptions(target, CAT_LOVERS, null, true, false, false, true, SETTINGS));

        assertThat(report.dryRun()).isTrue();
        assertThat(report.applied()).isEmpty();
        assertThat(report.snapshot()).isNull();
        assertThat(report.plan().baselineFirst()).isTrue();
        assertThat(report.plan().toApply()).extracting(PendingMigration::script)
                .containsExactly("V2__create_cats.sql", "V3__mirror_cats.sql", "V4__copy_cats.sql");
        assertThat(report.plan().toApply().get(2).checks()).hasSize(2);
        assertThat(reporter.infos).contains("would apply V4__copy_cats.sql (in batches of 5000 rows) (2 verify checks)");
        assertThat(db.queryString("SELECT to_regclass('dbtool_schema_history')::text")).isNull();
        assertThat(db.queryString("SELECT to_regclass('cats')::text")).isNull();
    }

    @Test
    void dryRunWithTargetStopsThere() {
        MigrationPlan plan = new Migrator(reporter, NO_SNAPSHOT_EXPECTED)
                .plan(new MigrateOptions(target, CAT_LOVERS, "3", true, false, false, true, SETTINGS));

        assertThat(plan.toApply()).extracting(PendingMigration::version).containsExactly("2", "3");
        assertThat(plan.heldBack()).isEmpty();
    }

    @Test
    void noSnapshotSkipsItLoudly() throws IOException {
        Path dir = migrations("V2__add_note.sql", "ALTER TABLE cat_lovers ADD COLUMN note text;\n");

        MigrateReport report = new Migrator(reporter, NO_SNAPSHOT_EXPECTED).migrate(options(dir, false, false, false));

        assertThat(report.snapshot()).isNull();
        assertThat(report.applied()).hasSize(1);
        assertThat(reporter.warnings).anyMatch(s -> s.startsWith("--no-snapshot: NO safety snapshot"));
    }

    @Test
    void lintFindingsRefuseTheRun() throws IOException {
        Path dir = migrations("V2__index_names.sql", "CREATE INDEX cat_lovers_name_idx ON cat_lovers (name);\n");

        assertThatThrownBy(() -> new Migrator(reporter, NO_SNAPSHOT_EXPECTED).migrate(options(dir, false, false, true)))
                .isInstanceOfSatisfying(DbToolException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCode.LINT);
                    assertThat(e.getMessage()).contains("1 lint finding");
                });
        assertThat(reporter.warnings).anyMatch(s -> s.contains("V2__index_names.sql:1: [create-index-non-concurrently]"));
        assertThat(db.queryString("SELECT to_regclass('dbtool_schema_history')::text")).isNull();
        assertThat(db.queryString("SELECT to_regclass('cat_lovers_name_idx')::text")).isNull();

        // A dry run lists the plan with the findings, and fails the same way (a CI gate).
        reporter.infos.clear();
        assertThatThrownBy(() -> new Migrator(reporter, NO_SNAPSHOT_EXPECTED)
                .migrate(new MigrateOptions(target, dir, null, true, false, false, true, SETTINGS)))
                .isInstanceOfSatisfying(DbToolException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.LINT));
        assertThat(reporter.infos).contains("would apply V2__index_names.sql");
    }

    @Test
    void misnamedFileIsRefusedNamingIt() throws IOException {
        Path dir = migrations("V2_add_note.sql", "ALTER TABLE cat_lovers ADD COLUMN note text;\n");

        assertThatThrownBy(() -> new Migrator(reporter, NO_SNAPSHOT_EXPECTED).migrate(options(dir, false, false, false)))
                .isInstanceOfSatisfying(DbToolException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
                    assertThat(e.getMessage()).contains("V2_add_note.sql");
                });
        assertThat(db.queryString("SELECT to_regclass('dbtool_schema_history')::text")).isNull();
    }

    private MigrateOptions options(Path dir, boolean contract, boolean force, boolean snapshot) {
        return new MigrateOptions(target, dir, null, false, contract, force, snapshot, SETTINGS);
    }

    private Path migrations(String name, String sql) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("migrations"));
        Files.writeString(dir.resolve(name), sql);
        return dir;
    }

    /** The CLI's snapshot: the real export core, into the backup directory. */
    private SafetySnapshot exportInto(Path backups) {
        return () -> {
            try {
                Files.createDirectories(backups);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return new Exporter(PgToolLocator.fromSystemEnvironment(), Reporter.SILENT, "test")
                    .export(new ExportOptions("old", target, backups.toString(), 1, Compression.GZIP, List.of(), List.of()))
                    .archive().location();
        };
    }

    /** Every cat of the old columns is a row of cats, and no more. */
    private void assertCatsMirrorCatLovers() {
        String oldShape = "SELECT cat_name, cat_color, id FROM cat_lovers WHERE cat_name IS NOT NULL";
        String newShape = "SELECT name, color, cat_lover_id FROM cats";
        assertThat(db.queryLong("SELECT count(*) FROM (" + oldShape + " EXCEPT ALL " + newShape + ") d")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM (" + newShape + " EXCEPT ALL " + oldShape + ") d")).isZero();
    }

    private long catColumns() {
        return db.queryLong("SELECT count(*) FROM information_schema.columns"
                + " WHERE table_name = 'cat_lovers' AND column_name IN ('cat_name', 'cat_color')");
    }

    private static void commit(Connection c) {
        try {
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
