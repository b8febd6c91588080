package dbtool.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.config.ConnectionSettings;
import dbtool.config.MigrateSettings;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The cat lovers example (migrations/old) migrated while the old application keeps writing: two connections sign
 * up cat lovers with a cat and recolour existing members' cats, before, during and after migrate. Nothing may fail,
 * nobody may wait long, and afterwards cats must mirror cat_lovers exactly: no cat missing, none stale, none extra.
 */
class LiveMigrationIT {
    private static final Path CAT_LOVERS = Path.of("migrations/old");
    private static final String[] COLOURS = {"black", "white", "ginger", "tabby", "grey", "calico", "cream"};

    private TestServer server;
    private TestDatabase db;
    private final RecordingReporter reporter = new RecordingReporter();

    @AfterEach
    void dropDatabase() {
        if (db != null) {
            db.drop();
        }
    }

    @Test
    void exampleMigratesWhileTheOldApplicationWrites() throws Exception {
        createDatabase("livemig");
        db.execute(Files.readString(Path.of("scripts/examples/catlovers.sql")));

        // Writers give up on any lock they wait for longer than 5 s: a failed writer is a writer that waited too long.
        Result r = migrateWhileWriting(Duration.ofSeconds(2), Duration.ofSeconds(5));

        assertThat(r.failures()).as("failed writer transactions: %s", r.firstFailure()).isEmpty();
        assertThat(r.duringMigrate()).as("writes committed while migrate ran").isPositive();
        assertCatsMirrorCatLovers();
    }

    /** Issue 14's big case: the batched backfill keeps every writer's wait under a second. */
    @Test
    void millionCatLoversMigrateInBatchesWhileTheOldApplicationWrites() throws Exception {
        createDatabase("livemig_1m");
        db.execute("CREATE TABLE cat_lovers (id serial PRIMARY KEY, name text NOT NULL, email text,"
                        + " cat_name text, cat_color text)",
                "INSERT INTO cat_lovers (name, email, cat_name, cat_color)"
                        + " SELECT 'Member ' || g, 'member' || g || '@example.org',"
                        + " CASE WHEN g % 10 = 0 THEN NULL ELSE (ARRAY['Luna','Milo','Oliver','Leo'])[1 + g % 4] END,"
                        + " CASE WHEN g % 10 = 0 THEN NULL ELSE (ARRAY['black','white','ginger'])[1 + g % 3] END"
                        + " FROM generate_series(1, 1000000) AS g",
                "VACUUM ANALYZE cat_lovers");

        // Writers give up on any lock they wait for longer than 1 s (lock_timeout), so "no writer failed" proves no
        // writer waited on the backfill for more than a second; wall time on a starved 2-core machine is not that.
        Result r = migrateWhileWriting(Duration.ofMillis(500), Duration.ofSeconds(1));

        System.out.printf("LiveMigrationIT: 1,000,000 cat lovers migrated in %s while %d writer transactions"
                        + " committed; slowest writer transaction %s; %s%n", Durations.format(r.migrateTook()),
                r.duringMigrate(), Durations.format(r.slowest()),
                reporter.infos.stream().filter(s -> s.startsWith("applied V4")).findFirst().orElse(""));
        assertThat(r.failures()).as("failed writer transactions: %s", r.firstFailure()).isEmpty();
        assertThat(r.duringMigrate()).as("writes committed while migrate ran").isPositive();
        // 900,000 cats less those the trigger mirrored first because a writer recoloured them before their batch.
        assertThat(reporter.progressSteps.get()).as("rows the batches reported").isBetween(800_000L, 900_000L);
        assertThat(reporter.infos).anyMatch(s -> s.matches("V4__copy_cats.sql: copied \\d+ row\\(s\\) in \\d{3} batch.*"));
        assertCatsMirrorCatLovers();
    }

    private void createDatabase(String name) {
        server = PgServers.defaultServer();
        db = server.createDatabase(name);
    }

    private record Result(List<String> failures, Duration slowest, long duringMigrate, Duration migrateTook) {
        String firstFailure() {
            return failures.isEmpty() ? "none" : failures.get(0);
        }
    }

    /**
     * Starts the two writers, waits until both have committed, migrates the expand steps (V2-V4), lets both commit
     * again afterwards (so the trigger is exercised after the copy as well), then stops them.
     */
    private Result migrateWhileWriting(Duration lockTimeout, Duration writerLockWait) throws Exception {
        long members = db.queryLong("SELECT max(id) FROM cat_lovers");
        MigrateSettings settings = new MigrateSettings(CAT_LOVERS, lockTimeout, Duration.ofMinutes(10), 10,
                Duration.ofDays(7));
        ConnectionSettings target = ConnectionSettings.parse(db.url())
                .withCredentials(server.superuser(), server.superuserPassword());
        List<Writer> writers = List.of(new Writer(members, writerLockWait), new Writer(members, writerLockWait));
        List<Thread> threads = new ArrayList<>();
        for (Writer w : writers) {
            Thread t = new Thread(w, "old-app-writer");
            t.start();
            threads.add(t);
        }
        try {
            for (Writer w : writers) {
                w.awaitCommits();
            }
            long before = writers.stream().mapToLong(w -> w.commits.get()).sum();
            long start = System.nanoTime();
            MigrateReport report = new Migrator(reporter, () -> {
                throw new AssertionError("no snapshot expected");
            }).migrate(new MigrateOptions(target, CAT_LOVERS, null, false, false, false, false, settings));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            long during = writers.stream().mapToLong(w -> w.commits.get()).sum() - before;
            assertThat(report.applied()).extracting(AppliedMigration::script)
                    .containsExactly("V2__create_cats.sql", "V3__mirror_cats.sql", "V4__copy_cats.sql");
            for (Writer w : writers) {
                w.awaitCommitsAfterNow();
            }
            return finish(writers, threads, during, took);
        } finally {
            writers.forEach(w -> w.running.set(false));
            for (Thread t : threads) {
                t.join(TimeUnit.MINUTES.toMillis(1));
            }
        }
    }

    private static Result finish(List<Writer> writers, List<Thread> threads, long during, Duration took)
            throws InterruptedException {
        writers.forEach(w -> w.running.set(false));
        for (Thread t : threads) {
            t.join(TimeUnit.MINUTES.toMillis(1));
        }
        List<String> failures = new ArrayList<>();
        writers.forEach(w -> failures.addAll(w.failures));
        Duration slowest = writers.stream().map(w -> Duration.ofNanos(w.slowestNanos.get()))
                .max(Duration::compareTo).orElseThrow();
        return new Result(failures, slowest, during, took);
    }

    /**
     * The old application: each transaction signs up a cat lover with a cat and recolours an existing member's cat,
     * the way it always did (only the old columns). Paced like a busy site rather than flat out, so two writers do
     * not starve the migration of the test machine's two cores.
     */
    private final class Writer implements Runnable {
        private static final long PACE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicLong commits = new AtomicLong();
        final AtomicLong slowestNanos = new AtomicLong();
        final List<String> failures = Collections.synchronizedList(new ArrayList<>());
        private final long members;
        private final Duration lockWait;
        private volatile CountDownLatch committed = new CountDownLatch(3);

        Writer(long members, Duration lockWait) {
            this.members = members;
            this.lockWait = lockWait;
        }

        void awaitCommits() throws InterruptedException {
            assertThat(committed.await(2, TimeUnit.MINUTES)).as("writer committing").isTrue();
        }

        void awaitCommitsAfterNow() throws InterruptedException {
            committed = new CountDownLatch(3);
            awaitCommits();
        }

        @Override
        public void run() {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            try (Connection c = db.connect();
                    PreparedStatement signUp = c.prepareStatement("INSERT INTO cat_lovers (name, email, cat_name,"
                            + " cat_color) VALUES (?, ?, ?, ?)");
                    PreparedStatement recolour = c.prepareStatement(
                            "UPDATE cat_lovers SET cat_color = ? WHERE id = ? AND cat_name IS NOT NULL")) {
                try (var st = c.createStatement()) {
                    st.execute("SET lock_timeout = '" + lockWait.toMillis() + "ms'");
                }
                c.setAutoCommit(false);
                while (running.get()) {
                    long start = System.nanoTime();
                    try {
                        long n = random.nextLong(1_000_000_000L);
                        signUp.setString(1, "Live " + n);
                        signUp.setString(2, "live" + n + "@example.org");
                        signUp.setString(3, "Kitty " + n);
                        signUp.setString(4, COLOURS[random.nextInt(COLOURS.length)]);
                        signUp.executeUpdate();
                        recolour.setString(1, COLOURS[random.nextInt(COLOURS.length)] + " #" + n);
                        recolour.setLong(2, 1 + random.nextLong(members));
                        recolour.executeUpdate();
                        c.commit();
                        commits.incrementAndGet();
                        committed.countDown();
                    } catch (SQLException e) {
                        failures.add(e.getSQLState() + " " + e.getMessage());
                        c.rollback();
                    }
                    long took = System.nanoTime() - start;
                    slowestNanos.accumulateAndGet(took, Math::max);
                    LockSupport.parkNanos(PACE_NANOS);
                }
            } catch (SQLException e) {
                failures.add("connection: " + e.getMessage());
            }
        }
    }

    /** Every cat of the old columns is a row of cats with the same cat lover, name and colour, and no more. */
    private void assertCatsMirrorCatLovers() {
        String oldShape = "SELECT id, cat_name, cat_color FROM cat_lovers WHERE cat_name IS NOT NULL";
        String newShape = "SELECT cat_lover_id, name, color FROM cats";
        assertThat(db.queryLong("SELECT count(*) FROM (" + oldShape + " EXCEPT ALL " + newShape + ") d"))
                .as("cats missing or stale in cats").isZero();
        assertThat(db.queryLong("SELECT count(*) FROM (" + newShape + " EXCEPT ALL " + oldShape + ") d"))
                .as("cats in cats that cat_lovers does not have").isZero();
        assertThat(db.queryLong("SELECT count(*) FROM cat_lovers WHERE name LIKE 'Live %'"))
                .as("sign-ups by the writers").isPositive();
        assertThat(db.queryLong("SELECT count(*) FROM cat_lovers WHERE cat_color LIKE '% #%'"))
                .as("recolourings by the writers").isPositive();
    }
}
