package dbtool.migrate;

import dbtool.migrate.lint.LintFinding;
import java.util.List;

/**
 * What a migrate run would do, decided before anything is touched.
 *
 * @param toApply the migrations to apply, in order
 * @param heldBack pending migrations this run will not apply: from the first contract step on (without
 *     --contract); migrations above --target are not listed
 * @param holdReason why {@code heldBack} is held back, or null when nothing is
 * @param refusal why the run must not start (a contract step inside the interim period), or null
 * @param warnings things the user must hear loudly, e.g. a contract step forced through its interim period
 * @param lintFindings findings in the files to apply (applied files are not linted: they can no longer change)
 * @param baselineFirst whether the database has no history table yet and will be baselined at V1 first
 */
public record MigrationPlan(
        List<PendingMigration> toApply,
        List<PendingMigration> heldBack,
        String holdReason,
        String refusal,
        List<String> warnings,
        List<LintFinding> lintFindings,
        boolean baselineFirst) {

    public MigrationPlan {
        toApply = List.copyOf(toApply);
        heldBack = List.copyOf(heldBack);
        warnings = List.copyOf(warnings);
        lintFindings = List.copyOf(lintFindings);
    }
}
