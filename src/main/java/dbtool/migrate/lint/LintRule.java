package dbtool.migrate.lint;

import java.util.Arrays;
import java.util.Optional;

/**
 * The lint rules. {@link #id()} is a contract: users name it in {@code -- dbtool:allow} and scripts grep for it.
 * Each rule states the safe alternative once, so every finding of it says the same.
 */
public enum LintRule {
    CREATE_INDEX_NON_CONCURRENTLY("create-index-non-concurrently",
            "CREATE INDEX CONCURRENTLY, alone in a migration file of its own"),
    DROP_INDEX_NON_CONCURRENTLY("drop-index-non-concurrently",
            "DROP INDEX CONCURRENTLY, alone in a migration file of its own"),
    ADD_COLUMN_VOLATILE_DEFAULT("add-column-volatile-default",
            "add the column without a default (or with a constant one), then ALTER COLUMN ... SET DEFAULT"
                    + " and backfill existing rows in batches"),
    SET_NOT_NULL("set-not-null",
            "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT c, then SET NOT NULL"
                    + " (PG12+ skips the scan) and drop c"),
    ADD_FOREIGN_KEY_WITHOUT_NOT_VALID("add-foreign-key-without-not-valid",
            "ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then VALIDATE CONSTRAINT in a later migration"),
    ADD_CHECK_WITHOUT_NOT_VALID("add-check-without-not-valid",
            "ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT in a later migration"),
    ADD_UNIQUE_CONSTRAINT("add-unique-constraint",
            "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE (or PRIMARY KEY) USING INDEX"),
    ALTER_COLUMN_TYPE("alter-column-type",
            "add a new column, backfill it in batches, switch the application to it,"
                    + " then drop the old one in a contract_ step"),
    DROP_COLUMN("drop-column",
            "stop using the column in the application first, then drop it in a contract_ migration"
                    + " (V<n>__contract_<description>.sql)"),
    DROP_TABLE("drop-table",
            "stop using the table in the application first, then drop it in a contract_ migration"
                    + " (V<n>__contract_<description>.sql)"),
    RENAME_COLUMN("rename-column",
            "add a column with the new name, write both, backfill, switch reads,"
                    + " then drop the old column in a contract_ step"),
    RENAME_TABLE("rename-table",
            "create the new table (or a view with the new name), switch the application,"
                    + " then drop the old name in a contract_ step"),
    VACUUM_FULL("vacuum-full",
            "plain VACUUM; to reclaim space online use pg_repack outside migrations"),
    CLUSTER("cluster",
            "leave physical ordering out of migrations; use pg_repack --order-by in a maintenance window"),
    TRUNCATE_CASCADE("truncate-cascade",
            "TRUNCATE exactly the tables you mean, by name, without CASCADE"),
    CONCURRENTLY_IN_TRANSACTION("concurrently-in-transaction",
            "put the CONCURRENTLY statement alone in a migration file of its own, without BEGIN/COMMIT"),
    BEGIN_WITHOUT_COMMIT("begin-without-commit",
            "end the transaction with COMMIT in the same file, or drop BEGIN: Flyway already runs each file"
                    + " in a transaction"),
    BATCH_STATEMENT("batch-statement",
            "one '-- dbtool:batch N' line right before the only statement of its file: an INSERT, UPDATE or DELETE"
                    + " with LIMIT N that skips what is already done (an INSERT: WHERE NOT EXISTS or ON CONFLICT DO"
                    + " NOTHING), and RETURNING its integer key when it walks by ${dbtool_batch_after}"),
    /** Not a hazard in the SQL but in the linting: the file could not be read, so nothing in it was checked. */
    SYNTAX_ERROR("syntax-error",
            "fix the SQL; nothing else in this file was checked");

    private final String id;
    private final String safeAlternative;

    LintRule(String id, String safeAlternative) {
        this.id = id;
        this.safeAlternative = safeAlternative;
    }

    /** The kebab-case name used in findings and in {@code -- dbtool:allow}. */
    public String id() {
        return id;
    }

    public String safeAlternative() {
        return safeAlternative;
    }

    public static Optional<LintRule> byId(String id) {
        return Arrays.stream(values()).filter(r -> r.id.equals(id)).findFirst();
    }
}
