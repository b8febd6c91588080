package dbtool.migrate;

import dbtool.DbToolException;
import dbtool.Reporter;
import dbtool.migrate.lint.MigrationLinter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The core of {@code dbtool migrate}: applies the pending {@code V<n>__<description>.sql} files of a directory with
 * Flyway as the engine (history table {@value FlywayFactory#HISTORY_TABLE}, checksums, numeric order), and adds
 * what a live database needs on top: lint first, a safety snapshot, short lock timeouts with retries, data checks
 * inside each migration's transaction, the expand/contract gate, and no invalid index left after a failed
 * {@code CREATE INDEX CONCURRENTLY}.
 *
 * <p>Exit codes of the thrown {@link DbToolException}s: 2 (USAGE) for an applied file that changed, a bad --target
 * or a contract step inside its interim period; 3 (VALIDATION) for a false {@code -- dbtool:verify} check; 6 (LINT)
 * for lint findings (a {@link LintRefusal}, carrying the plan); 1 (RUNTIME) for a migration that failed or never
 * got its locks.
 */
public final class Migrator {
    private final Reporter reporter;
    private final SafetySnapshot snapshot;
    private final Clock clock;
    private final Backoff backoff;

    public Migrator(Reporter reporter, SafetySnapshot snapshot) {
        this(reporter, snapshot, Clock.systemUTC(), Backoff.DEFAULT);
    }

    /** With a clock (the interim period is measured against it) and the retry backoff, for tests. */
    public Migrator(Reporter reporter, SafetySnapshot snapshot, Clock clock, Backoff backoff) {
        this.reporter = reporter;
        this.snapshot = snapshot;
        this.clock = clock;
        this.backoff = backoff;
    }

    /** What {@link #migrate} would do, read-only: validates history against the files, plans, lints. */
    public MigrationPlan plan(MigrateOptions options) {
        checkDir(options.dir());
        SessionDataSource db = new SessionDataSource(options.target(), options.settings());
        try (Connection admin = db.getConnection()) {
            return new MigrationPlanner(new FlywayFactory(db, options.dir())).plan(options, admin, clock.instant());
        } catch (SQLException e) {
            throw DbToolException.runtime("database error on " + options.target() + ": " + FlywayFailures.cause(e), e);
        }
    }

    /**
     * Applies the plan, or with {@code dryRun} only reports it. Throws instead of returning when the run is refused
     * (lint findings, interim period) or a migration fails; migrations applied before a failure stay applied.
     */
    public MigrateReport migrate(MigrateOptions options) {
        MigrationPlan plan = plan(options);
        describe(plan, options);
        if (!plan.lintFindings().isEmpty()) {
            plan.lintFindings().forEach(f -> reporter.warn(MigrationLinter.format(f)));
            throw new LintRefusal(plan.lintFindings().size() + " lint finding(s) in pending"
                    + " migrations of " + options.dir() + "; nothing was changed: fix them (or silence a rule for a"
                    + " file with -- dbtool:allow <rule>)", plan);
        }
        if (plan.refusal() != null) {
            throw DbToolException.usage(plan.refusal());
        }
        plan.warnings().forEach(reporter::warn);
        if (options.dryRun() || plan.toApply().isEmpty()) {
            return new MigrateReport(plan, List.of(), null, options.dryRun());
        }
        String archive = takeSnapshot(options, plan);
        List<AppliedMigration> applied;
        try {
            applied = apply(options, plan);
        } catch (DbToolException e) {
            if (archive == null) {
                throw e;
            }
            // The operator deciding whether to restore needs the snapshot right in the failure line.
            throw new DbToolException(e.exitCode(), e.getMessage() + " (safety snapshot from before this run: "
                    + archive + ")", e);
        }
        reporter.info("applied " + applied.size() + " migration(s) to " + options.target()
                + (archive != null ? "; safety snapshot: " + archive : ""));
        return new MigrateReport(plan, applied, archive, false);
    }

    private List<AppliedMigration> apply(MigrateOptions options, MigrationPlan plan) {
        SessionDataSource db = new SessionDataSource(options.target(), options.settings());
        List<AppliedMigration> applied = new ArrayList<>();
        try (Connection admin = db.getConnection()) {
            StepRunner runner = new StepRunner(new FlywayFactory(db, options.dir()), admin, options.settings(), backoff,
                    reporter, plan.toApply(), new BatchRunner(db, options.settings(), backoff, reporter));
            for (PendingMigration m : plan.toApply()) {
                reporter.info("applying " + m.script() + checksNote(m));
                applied.add(runner.apply(m));
            }
        } catch (SQLException e) {
            throw DbToolException.runtime("database error on " + options.target() + ": " + FlywayFailures.cause(e), e);
        }
        return applied;
    }

    private String takeSnapshot(MigrateOptions options, MigrationPlan plan) {
        if (!options.snapshot()) {
            reporter.warn("--no-snapshot: NO safety snapshot of " + options.target() + " before applying "
                    + plan.toApply().size() + " migration(s); if one goes wrong there is no dbtool archive to go back to");
            return null;
        }
        reporter.info("taking a safety snapshot of " + options.target() + " before " + plan.toApply().get(0).script());
        String archive = snapshot.take();
        reporter.info("safety snapshot: " + archive);
        return archive;
    }

    private void describe(MigrationPlan plan, MigrateOptions options) {
        // The real run announces each migration as it starts it, so its plan is only detail.
        Consumer<String> listing = options.dryRun() ? reporter::info : reporter::detail;
        String verb = options.dryRun() ? "would apply " : "pending: ";
        if (plan.baselineFirst() && !plan.toApply().isEmpty()) {
            reporter.info((options.dryRun() ? "would baseline" : "baselining") + " the existing schema at V"
                    + FlywayFactory.BASELINE_VERSION + " (no " + FlywayFactory.HISTORY_TABLE + " yet)");
        }
        if (plan.toApply().isEmpty() && plan.refusal() == null) {
            reporter.info("nothing to apply: " + options.target() + " is up to date with " + options.dir());
        }
        for (PendingMigration m : plan.toApply()) {
            listing.accept(verb + m.script() + checksNote(m));
        }
        if (plan.holdReason() != null) {
            reporter.info(plan.holdReason());
            for (PendingMigration m : plan.heldBack()) {
                reporter.info("held back: " + m.script());
            }
        }
    }

    private static String checksNote(PendingMigration m) {
        int n = m.checks().size();
        String batch = m.batch() == null ? "" : " (in batches of " + m.batch().directive().rows() + " rows)";
        return batch + (n == 0 ? "" : " (" + n + " verify check" + (n == 1 ? "" : "s") + ")");
    }

    private static void checkDir(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw DbToolException.usage("migrations directory " + dir + " does not exist; set 'migrations' in the"
                    + " project's config or pass --dir");
        }
    }
}
