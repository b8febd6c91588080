package dbtool.migrate;

import dbtool.DbToolException;
import dbtool.ExitCode;

/**
 * Lint findings refused the run (exit 6, {@link ExitCode#LINT}). Carries the plan so a caller can still show what
 * would have run next to the findings, e.g. {@code migrate --dry-run --json} in its one document.
 */
public final class LintRefusal extends DbToolException {
    private final transient MigrationPlan plan;

    LintRefusal(String message, MigrationPlan plan) {
        super(ExitCode.LINT, message);
        this.plan = plan;
    }

    /** The plan that was refused; its {@link MigrationPlan#lintFindings()} are the reason. */
    public MigrationPlan plan() {
        return plan;
    }
}
