package dbtool.migrate.lint;

import static dbtool.migrate.lint.Tokens.contains;
import static dbtool.migrate.lint.Tokens.indexOfTopLevel;
import static dbtool.migrate.lint.Tokens.isWord;
import static dbtool.migrate.lint.Tokens.matches;
import static dbtool.migrate.lint.Tokens.skip;

import java.util.List;
import java.util.Set;

/**
 * Checks the actions of one {@code ALTER TABLE} on a table that existed before this file (a table created in the
 * same file is new and empty: nothing to lock out, no reader to break).
 */
final class AlterTableChecks {
    private static final Set<String> SERIAL_TYPES = Set.of(
            "SMALLSERIAL", "SERIAL", "BIGSERIAL", "SERIAL2", "SERIAL4", "SERIAL8");

    private final String table;
    private final boolean contractStep;
    private final Findings findings;

    AlterTableChecks(String table, boolean contractStep, Findings findings) {
        this.table = table;
        this.contractStep = contractStep;
        this.findings = findings;
    }

    void check(List<Token> action) {
        int line = action.get(0).line();
        if (isWord(action, 0, "ADD")) {
            add(action, line);
        } else if (isWord(action, 0, "ALTER") && !isWord(action, 1, "CONSTRAINT")) {
            alterColumn(action, line);
        } else if (isWord(action, 0, "DROP") && !isWord(action, 1, "CONSTRAINT")) {
            if (!contractStep) {
                int i = skip(action, skip(action, 1, "COLUMN"), "IF", "EXISTS");
                findings.add(LintRule.DROP_COLUMN, line, "DROP COLUMN " + column(action, i)
                        + " breaks application code still reading it");
            }
        } else if (isWord(action, 0, "RENAME") && !isWord(action, 1, "CONSTRAINT")) {
            rename(action, line);
        }
    }

    private void add(List<Token> action, int line) {
        if (isWord(action, 1, "CONSTRAINT")) {
            constraint(action, 3, line);
        } else if (isConstraintStart(action, 1)) {
            constraint(action, 1, line);
        } else {
            column(action, skip(action, skip(action, 1, "COLUMN"), "IF", "NOT", "EXISTS"), line);
        }
    }

    private static boolean isConstraintStart(List<Token> action, int i) {
        return isWord(action, i, "CHECK") || isWord(action, i, "UNIQUE") || isWord(action, i, "PRIMARY")
                || isWord(action, i, "FOREIGN") || isWord(action, i, "EXCLUDE");
    }

    private void constraint(List<Token> action, int i, int line) {
        boolean notValid = contains(action, "NOT", "VALID");
        if (isWord(action, i, "CHECK") && !notValid) {
            findings.add(LintRule.ADD_CHECK_WITHOUT_NOT_VALID, line,
                    "ADD CHECK without NOT VALID scans all of " + table + " under an ACCESS EXCLUSIVE lock");
        } else if (isWord(action, i, "FOREIGN") && !notValid) {
            findings.add(LintRule.ADD_FOREIGN_KEY_WITHOUT_NOT_VALID, line, "ADD FOREIGN KEY without NOT VALID"
                    + " scans all of " + table + " while blocking writes to it and to the referenced table");
        } else if ((isWord(action, i, "UNIQUE") || isWord(action, i, "PRIMARY"))
                && !contains(action, "USING", "INDEX")) {
            findings.add(LintRule.ADD_UNIQUE_CONSTRAINT, line, "ADD " + action.get(i).text()
                    + " builds an index on " + table + " under an ACCESS EXCLUSIVE lock");
        }
    }

    /** ADD [COLUMN] name type [DEFAULT expr] [column constraints]. */
    private void column(List<Token> action, int i, int line) {
        String column = table + "." + column(action, i);
        if (i + 1 < action.size() && action.get(i + 1).kind() == Token.Kind.WORD
                && SERIAL_TYPES.contains(action.get(i + 1).text())) {
            findings.add(LintRule.ADD_COLUMN_VOLATILE_DEFAULT, line, "ADD COLUMN " + column + " "
                    + action.get(i + 1).name() + " fills it from a sequence (a volatile default),"
                    + " rewriting the whole table under an ACCESS EXCLUSIVE lock");
        }
        int def = indexOfTopLevel(action, i + 1, "DEFAULT");
        if (def >= 0) {
            DefaultExpression.volatileCall(action, def + 1).ifPresent(fn -> findings.add(
                    LintRule.ADD_COLUMN_VOLATILE_DEFAULT, line, "ADD COLUMN " + column + " DEFAULT " + fn + "()"
                            + (DefaultExpression.VOLATILE.contains(fn) ? " is volatile" : " may be volatile")
                            + ": that rewrites the whole table under an ACCESS EXCLUSIVE lock"));
        }
        int generated = indexOfTopLevel(action, i + 1, "GENERATED");
        if (generated >= 0 && contains(action.subList(generated, action.size()), "AS", "IDENTITY")) {
            findings.add(LintRule.ADD_COLUMN_VOLATILE_DEFAULT, line, "ADD COLUMN " + column + " AS IDENTITY"
                    + " fills it from a sequence, rewriting the whole table under an ACCESS EXCLUSIVE lock");
        }
        if (indexOfTopLevel(action, i + 1, "REFERENCES") >= 0) {
            findings.add(LintRule.ADD_FOREIGN_KEY_WITHOUT_NOT_VALID, line, "ADD COLUMN " + column
                    + " REFERENCES blocks writes to " + table + " and to the referenced table while it validates");
        }
        if (indexOfTopLevel(action, i + 1, "UNIQUE") >= 0 || indexOfTopLevel(action, i + 1, "PRIMARY") >= 0) {
            findings.add(LintRule.ADD_UNIQUE_CONSTRAINT, line, "ADD COLUMN " + column
                    + " with UNIQUE/PRIMARY KEY builds an index on " + table + " under an ACCESS EXCLUSIVE lock");
        }
    }

    /** ALTER [COLUMN] name {TYPE | SET DATA TYPE | SET NOT NULL | ...}. */
    private void alterColumn(List<Token> action, int line) {
        int i = skip(action, 1, "COLUMN");
        String column = table + "." + column(action, i);
        int verb = i + 1;
        if (isWord(action, verb, "TYPE") || matches(action, verb, "SET", "DATA", "TYPE")) {
            findings.add(LintRule.ALTER_COLUMN_TYPE, line, "ALTER COLUMN " + column + " TYPE rewrites the table"
                    + " and its indexes under an ACCESS EXCLUSIVE lock (unless binary-compatible, e.g. varchar to text)");
        } else if (matches(action, verb, "SET", "NOT", "NULL")) {
            findings.add(LintRule.SET_NOT_NULL, line, "SET NOT NULL on " + column
                    + " scans the whole table under an ACCESS EXCLUSIVE lock");
        }
    }

    private void rename(List<Token> action, int line) {
        if (contractStep) {
            return;
        }
        if (isWord(action, 1, "TO")) {
            findings.add(LintRule.RENAME_TABLE, line, "RENAME TO " + column(action, 2) + " breaks application code"
                    + " still using the name " + table);
        } else {
            int i = skip(action, 1, "COLUMN");
            findings.add(LintRule.RENAME_COLUMN, line, "RENAME COLUMN " + table + "." + column(action, i)
                    + " breaks application code still using the old name");
        }
    }

    private static String column(List<Token> action, int i) {
        return i < action.size() && action.get(i).isName() ? action.get(i).name() : "?";
    }
}
