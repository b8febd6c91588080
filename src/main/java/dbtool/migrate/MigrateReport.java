package dbtool.migrate;

import java.util.List;

/**
 * The outcome of a migrate run that finished (failures are thrown as DbToolException instead).
 *
 * @param plan what was decided before the run (for --dry-run, the whole answer)
 * @param applied what this run applied, in order; empty for --dry-run
 * @param snapshot the safety snapshot archive (a path or an s3:// URL), or null when none was taken (dry run, --no-snapshot, nothing to do)
 */
public record MigrateReport(MigrationPlan plan, List<AppliedMigration> applied, String snapshot, boolean dryRun) {

    public MigrateReport {
        applied = List.copyOf(applied);
    }

    /** Pending contract steps (and anything after them) this run left for a later {@code --contract} run. */
    public List<PendingMigration> heldBack() {
        return plan.heldBack();
    }
}
