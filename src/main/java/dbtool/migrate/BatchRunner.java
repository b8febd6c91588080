package dbtool.migrate;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.Reporter;
import dbtool.config.MigrateSettings;
import dbtool.migrate.lint.BatchDirective;
import dbtool.migrate.lint.BatchedStatement;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Set;
import javax.sql.DataSource;

/**
 * Runs a migration's {@code -- dbtool:batch} statement again and again, each run in its own short transaction
 * (autocommit), until a run copies nothing; then the migrator hands the file to Flyway as usual, whose pass over it
 * inside the migration's transaction finds nothing left and is followed by the file's checks and its history row.
 *
 * <p>Why before Flyway and not inside it: Flyway runs a file in one transaction (or, for CREATE INDEX
 * CONCURRENTLY, statement by statement without retrying anything), so a backfill inside it would hold its locks
 * for the whole copy. Batches that each commit hold them for one batch only, and what they copied stays when the
 * run is interrupted: the statement skips what is done, so the next run continues where this one stopped.
 *
 * <p>A statement that uses {@link BatchDirective#AFTER_PLACEHOLDER} walks its table by key: each batch starts after
 * the highest key the previous one returned, so it reads only its own rows instead of scanning past everything
 * already copied (quadratic on a big table).
 */
final class BatchRunner {
    /** Worth trying the batch again: lock_timeout, a serialization failure, the deadlock detector's victim. */
    private static final Set<String> RETRYABLE = Set.of(FlywayFailures.LOCK_NOT_AVAILABLE, "40001", "40P01");

    private final DataSource db;
    private final MigrateSettings settings;
    private final Backoff backoff;
    private final Reporter reporter;

    BatchRunner(DataSource db, MigrateSettings settings, Backoff backoff, Reporter reporter) {
        this.db = db;
        this.settings = settings;
        this.backoff = backoff;
        this.reporter = reporter;
    }

    /** What the batches did. */
    record Outcome(long rows, int batches, Duration took) {}

    Outcome run(PendingMigration m) {
        BatchedStatement batched = m.batch();
        long rowsPerBatch = batched.directive().rows();
        long start = System.nanoTime();
        long rows = 0;
        int batches = 0;
        String after = BatchDirective.BEFORE_ALL_KEYS;
        reporter.info(m.script() + ": copying in batches of " + rowsPerBatch + " rows, each its own transaction");
        reporter.progressStart(m.script(), 0, " rows");
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(true);
            for (int attempt = 0; ; ) {
                Batch batch;
                try {
                    batch = runOnce(c, batched, after);
                } catch (SQLException e) {
                    if (RETRYABLE.contains(e.getSQLState()) && attempt < settings.lockRetries()) {
                        Duration wait = backoff.delay(attempt);
                        reporter.warn(m.script() + ": batch " + (batches + 1) + " gave way ("
                                + FlywayFailures.cause(e) + ", attempt " + (attempt + 1) + " of "
                                + (settings.lockRetries() + 1) + "); rolled back, retrying in "
                                + Durations.format(wait));
                        sleep(wait);
                        attempt++;
                        continue;
                    }
                    throw failed(m, batches, rows, e);
                }
                attempt = 0;
                batches++;
                rows += batch.rows();
                reporter.progressStep(batch.rows());
                reporter.detail(m.script() + ": batch " + batches + " copied " + batch.rows() + " row(s) in "
                        + Durations.format(batch.took()));
                if (batch.rows() == 0) {
                    break;
                }
                if (batched.walksByKey()) {
                    after = batch.lastKey();
                }
            }
        } catch (SQLException e) {
            throw failed(m, batches, rows, e);
        } finally {
            reporter.progressEnd();
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        reporter.info(m.script() + ": copied " + rows + " row(s) in " + batches + " batch(es) in "
                + Durations.format(took) + "; now its final pass and checks, in one transaction");
        return new Outcome(rows, batches, took);
    }

    private record Batch(long rows, String lastKey, Duration took) {}

    /**
     * One batch, committed on return (autocommit). With RETURNING, the rows are counted from the result and the
     * highest first column is the key the next batch starts after.
     */
    private static Batch runOnce(Connection c, BatchedStatement batched, String after) throws SQLException {
        long start = System.nanoTime();
        try (Statement st = c.createStatement()) {
            long rows = 0;
            Long lastKey = null;
            if (st.execute(batched.sql().replace(BatchDirective.AFTER_PLACEHOLDER, after))) {
                try (ResultSet rs = st.getResultSet()) {
                    while (rs.next()) {
                        rows++;
                        long key = rs.getLong(1);
                        if (!rs.wasNull() && (lastKey == null || key > lastKey)) {
                            lastKey = key;
                        }
                    }
                }
            } else {
                rows = Math.max(0, st.getUpdateCount());
            }
            if (batched.walksByKey() && rows > 0 && lastKey == null) {
                throw new SQLException("the batched statement's RETURNING gave no integer key; return the key that "
                        + BatchDirective.AFTER_PLACEHOLDER + " is compared with, as the first column", "22023");
            }
            return new Batch(rows, lastKey == null ? after : Long.toString(lastKey),
                    Duration.ofNanos(System.nanoTime() - start));
        }
    }

    private static DbToolException failed(PendingMigration m, int batches, long rows, SQLException e) {
        return new DbToolException(ExitCode.RUNTIME, m.script() + " failed in batch " + (batches + 1) + ": "
                + FlywayFailures.cause(e) + "; the " + batches + " batch(es) before it (" + rows + " row(s)) are"
                + " committed and the statement skips them, so run migrate again to continue where it stopped", e);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DbToolException(ExitCode.RUNTIME, "interrupted while waiting to retry a batch", e);
        }
    }
}
