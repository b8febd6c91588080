package dbtool.migrate;

import dbtool.migrate.lint.VerifyDirective;

/**
 * Thrown from inside a migration's transaction when one of its {@code -- dbtool:verify} checks is not true, so
 * that Flyway rolls the migration back; the migrator turns it into exit 3.
 */
final class VerifyFailure extends RuntimeException {
    private final PendingMigration migration;
    private final VerifyDirective check;
    private final boolean rolledBack;

    VerifyFailure(PendingMigration migration, VerifyDirective check, String outcome, boolean rolledBack, Throwable cause) {
        super(migration.script() + ":" + check.line() + ": check failed (" + outcome + "): " + check.expression(), cause);
        this.migration = migration;
        this.check = check;
        this.rolledBack = rolledBack;
    }

    PendingMigration migration() {
        return migration;
    }

    VerifyDirective check() {
        return check;
    }

    /** False only for a migration that ran outside a transaction: its changes stay. */
    boolean rolledBack() {
        return rolledBack;
    }
}
