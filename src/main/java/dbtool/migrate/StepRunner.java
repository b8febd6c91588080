package dbtool.migrate;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.Reporter;
import dbtool.config.MigrateSettings;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.flywaydb.core.api.output.MigrateOutput;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Applies one migration through Flyway, retrying it with backoff when it times out waiting for a lock, and cleaning
 * up after a failure that ran outside a transaction.
 *
 * <p>Why one Flyway call per migration: each call is one unit the migrator can retry (a transactional migration
 * that hit lock_timeout was rolled back completely, so running it again is safe), time and clean up after.
 */
final class StepRunner {
    private final FlywayFactory flyway;
    private final Connection admin;
    private final MigrateSettings settings;
    private final Backoff backoff;
    private final Reporter reporter;
    private final VerifyCallback verify;
    private final BatchRunner batches;

    StepRunner(FlywayFactory flyway, Connection admin, MigrateSettings settings, Backoff backoff, Reporter reporter,
            List<PendingMigration> plan, BatchRunner batches) {
        this.batches = batches;
        this.flyway = flyway;
        this.admin = admin;
        this.settings = settings;
        this.backoff = backoff;
        this.reporter = reporter;
        this.verify = new VerifyCallback(plan.stream()
                .collect(Collectors.toMap(PendingMigration::version, Function.identity(), (a, b) -> a)));
    }

    AppliedMigration apply(PendingMigration m) {
        BatchRunner.Outcome batched = m.batch() == null ? null : batches.run(m);
        for (int attempt = 0; ; attempt++) {
            Set<Long> invalidBefore = query(() -> InvalidIndexes.current(admin));
            try {
                MigrateResult result = flyway.flyway(m.version(), verify).migrate();
                return applied(m, result, attempt, batched);
            } catch (RuntimeException e) {
                List<String> cleanup = cleanUp(m, invalidBefore);
                Optional<VerifyFailure> check = FlywayFailures.find(e, VerifyFailure.class);
                if (check.isPresent()) {
                    throw verifyFailed(check.get());
                }
                Optional<DbToolException> ours = FlywayFailures.find(e, DbToolException.class);
                if (ours.isPresent()) {
                    throw ours.get(); // e.g. the connection could not be opened
                }
                if (FlywayFailures.isLockTimeout(e) && attempt < settings.lockRetries()) {
                    Duration wait = backoff.delay(attempt);
                    reporter.warn(m.script() + " timed out after lock_timeout "
                            + Durations.format(settings.lockTimeout())
                            + " waiting for a lock (attempt " + (attempt + 1) + " of " + (settings.lockRetries() + 1)
                            + "); rolled back, retrying in " + Durations.format(wait)
                            + " so the application's queries are not queued behind it");
                    sleep(wait);
                    continue;
                }
                throw failed(m, e, attempt, cleanup);
            }
        }
    }

    private AppliedMigration applied(PendingMigration m, MigrateResult result, int retries,
            BatchRunner.Outcome batched) {
        MigrateOutput out = result.migrations == null ? null : result.migrations.stream()
                .filter(o -> m.version().equals(o.version)).findFirst().orElse(null);
        if (out == null) {
            // Another migrator got there between our plan and this call; Flyway's advisory lock kept us apart.
            reporter.warn(m.script() + " was applied meanwhile by another run; nothing to do");
            return new AppliedMigration(m.version(), m.description(), m.script(), 0, retries);
        }
        // A batched copy's time is part of applying the file, though Flyway's history counts only its final pass.
        long millis = out.executionTime + (batched == null ? 0 : batched.took().toMillis());
        reporter.info("applied " + m.script() + " in " + Durations.format(Duration.ofMillis(millis))
                + (retries > 0 ? " after " + retries + " lock-timeout retr" + (retries == 1 ? "y" : "ies") : "")
                + (batched == null ? "" : " (" + batched.rows() + " row(s) copied in " + batched.batches()
                        + " batch(es), then the final pass and checks in "
                        + Durations.format(Duration.ofMillis(out.executionTime)) + ")"));
        return new AppliedMigration(m.version(), m.description(), m.script(), millis, retries);
    }

    /**
     * After a failure: drop invalid indexes the statement left (only a non-transactional CREATE INDEX CONCURRENTLY
     * can), and delete the failed history row Flyway writes for a non-transactional migration. The linter allows
     * such a statement only alone in its file, so once its index is gone the database is as before and the row
     * would only block the next attempt. Returns what was done, for the message.
     */
    private List<String> cleanUp(PendingMigration m, Set<Long> invalidBefore) {
        List<String> done = new ArrayList<>();
        try {
            for (InvalidIndexes.Leftover index : InvalidIndexes.createdSince(admin, invalidBefore)) {
                try {
                    InvalidIndexes.drop(admin, index);
                    reporter.warn(m.script() + " left the invalid index " + index.name() + " behind; dropped it");
                    done.add("dropped the invalid index " + index.name() + " it left");
                } catch (SQLException e) {
                    reporter.warn("could not drop invalid index " + index.name() + " left by " + m.script() + ": "
                            + FlywayFailures.cause(e) + "; drop it with DROP INDEX CONCURRENTLY " + index.name());
                    done.add("could not drop the invalid index " + index.name() + " it left");
                }
            }
            if (deleteFailedRow(m) > 0) {
                reporter.detail("deleted the failed row of " + m.script() + " from " + FlywayFactory.HISTORY_TABLE);
            }
        } catch (SQLException e) {
            reporter.warn("could not check for leftovers of " + m.script() + ": " + FlywayFailures.cause(e));
        }
        return done;
    }

    private int deleteFailedRow(PendingMigration m) throws SQLException {
        try (PreparedStatement st = admin.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            st.setString(1, FlywayFactory.HISTORY_TABLE);
            var rs = st.executeQuery();
            if (!rs.next() || !rs.getBoolean(1)) {
                return 0;
            }
        }
        try (PreparedStatement st = admin.prepareStatement(
                "DELETE FROM " + FlywayFactory.HISTORY_TABLE + " WHERE version = ? AND NOT success")) {
            st.setString(1, m.version());
            return st.executeUpdate();
        }
    }

    private static DbToolException verifyFailed(VerifyFailure v) {
        String outcome = v.rolledBack()
                ? "; the migration was rolled back, the data is untouched"
                : "; the migration ran outside a transaction, so its changes stay: check them by hand";
        return new DbToolException(ExitCode.VALIDATION, v.getMessage() + outcome, v);
    }

    private DbToolException failed(PendingMigration m, RuntimeException e, int retries, List<String> cleanup) {
        String what = FlywayFailures.isLockTimeout(e)
                ? m.script() + " could not get its locks within lock_timeout "
                        + Durations.format(settings.lockTimeout())
                        + " in " + (retries + 1) + " attempts; find the blocking session in pg_stat_activity"
                        + " (pg_blocking_pids) and run migrate again"
                : m.script() + " failed: " + FlywayFailures.cause(e) + "; fix the migration and run migrate again";
        String extra = cleanup.isEmpty() ? "" : " (" + String.join(", ", cleanup) + ")";
        return new DbToolException(ExitCode.RUNTIME, what + extra, e);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DbToolException(ExitCode.RUNTIME, "interrupted while waiting to retry a migration", e);
        }
    }

    private interface SqlQuery<T> {
        T run() throws SQLException;
    }

    private static <T> T query(SqlQuery<T> q) {
        try {
            return q.run();
        } catch (SQLException e) {
            throw DbToolException.runtime("database error while preparing a migration: " + FlywayFailures.cause(e), e);
        }
    }
}
