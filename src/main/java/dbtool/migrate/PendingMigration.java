package dbtool.migrate;

import dbtool.migrate.lint.BatchedStatement;
import dbtool.migrate.lint.VerifyDirective;
import java.nio.file.Path;
import java.util.List;

/**
 * A migration file not yet applied.
 *
 * @param version Flyway's version, e.g. {@code 3} or {@code 1.10}
 * @param script the file name, {@code V3__copy_cats.sql}: what users know it by, so messages name it
 * @param contract whether it is a contract step ({@code V<n>__contract_*.sql}), applied only with --contract
 * @param checks its {@code -- dbtool:verify} lines, evaluated inside its transaction after its statements
 * @param batch its {@code -- dbtool:batch} statement, run in batches before Flyway runs the file; null if none
 */
public record PendingMigration(
        String version, String description, String script, Path file, boolean contract,
        List<VerifyDirective> checks, BatchedStatement batch) {

    public PendingMigration {
        checks = List.copyOf(checks);
    }

    public PendingMigration(String version, String description, String script, Path file, boolean contract,
            List<VerifyDirective> checks) {
        this(version, description, script, file, contract, checks, null);
    }

    /** The lint's rule for contract steps, applied to a file name ({@code V5__contract_x.sql}). */
    static boolean isContractScript(String fileName) {
        int separator = fileName.indexOf("__");
        return separator >= 0 && fileName.startsWith("contract_", separator + 2);
    }
}
