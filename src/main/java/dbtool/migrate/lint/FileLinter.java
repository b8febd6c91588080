package dbtool.migrate.lint;

import static dbtool.migrate.lint.Tokens.isWord;
import static dbtool.migrate.lint.Tokens.matches;
import static dbtool.migrate.lint.Tokens.skip;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Lints one parsed file, statement by statement. It remembers what the file itself created, because a table
 * created earlier in the same migration is new and empty: indexing, altering or dropping it blocks nobody.
 */
final class FileLinter {
    private final MigrationName name;
    private final SqlScript script;
    private final Findings findings;
    private final Set<String> createdTables = new HashSet<>();
    private final Set<String> createdIndexes = new HashSet<>();
    /** Line of a BEGIN not yet closed by COMMIT/END/ROLLBACK, or 0. */
    private int openTransactionLine;

    FileLinter(Path file, SqlScript script) {
        this.name = MigrationName.of(file.getFileName() == null ? file.toString() : file.getFileName().toString());
        this.script = script;
        this.findings = new Findings(file, script.allowedRules());
    }

    List<LintFinding> run() {
        for (SqlStatement statement : script.statements()) {
            check(statement);
        }
        checkBatch();
        if (openTransactionLine > 0) {
            findings.add(LintRule.BEGIN_WITHOUT_COMMIT, openTransactionLine,
                    "BEGIN without a later COMMIT leaves the transaction open to the end of the migration");
        }
        return findings.sorted();
    }

    private void check(SqlStatement statement) {
        List<Token> t = statement.tokens();
        int line = statement.line();
        checkConcurrentlyInTransaction(t, line);
        if (isWord(t, 0, "CREATE")) {
            create(t, line);
        } else if (matches(t, 0, "DROP", "INDEX")) {
            dropIndex(t, line);
        } else if (matches(t, 0, "DROP", "TABLE")) {
            dropTable(t, line);
        } else if (matches(t, 0, "ALTER", "TABLE")) {
            alterTable(t);
        } else if (isWord(t, 0, "VACUUM") && isVacuumFull(t)) {
            findings.add(LintRule.VACUUM_FULL, line,
                    "VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock, blocking reads and writes");
        } else if (isWord(t, 0, "CLUSTER")) {
            findings.add(LintRule.CLUSTER, line,
                    "CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock, blocking reads and writes");
        } else if (isWord(t, 0, "TRUNCATE") && Tokens.contains(t, "CASCADE")) {
            findings.add(LintRule.TRUNCATE_CASCADE, line,
                    "TRUNCATE ... CASCADE also empties every table that references it by foreign key");
        } else if (isWord(t, 0, "BEGIN") || matches(t, 0, "START", "TRANSACTION")) {
            if (openTransactionLine == 0) {
                openTransactionLine = line;
            }
        } else if (isWord(t, 0, "COMMIT") || isWord(t, 0, "END") || isWord(t, 0, "ABORT")
                || (isWord(t, 0, "ROLLBACK") && !isWord(t, 1, "TO"))) {
            openTransactionLine = 0;
        }
    }

    /**
     * A batched statement runs outside the migration's transaction, one batch per transaction, before the rest of
     * the file would run: so it must be the file's only statement, and it must end (skip what is done, LIMIT).
     */
    private void checkBatch() {
        List<BatchDirective> directives = script.batchDirectives();
        if (directives.isEmpty()) {
            return;
        }
        int line = directives.get(0).line();
        if (directives.size() > 1) {
            findings.add(LintRule.BATCH_STATEMENT, directives.get(1).line(),
                    "a file may have one dbtool:batch line; this is the second");
            return;
        }
        BatchedStatement batched = script.batched().orElse(null);
        if (batched == null) {
            findings.add(LintRule.BATCH_STATEMENT, line, "dbtool:batch is not followed by a statement");
            return;
        }
        long others = script.statements().size() - 1;
        if (others > 0) {
            findings.add(LintRule.BATCH_STATEMENT, line, "the batched statement must be alone in its file (it runs"
                    + " before, and outside the transaction of, the " + others + " other statement(s))");
        }
        List<Token> t = batched.statement().tokens();
        int statementLine = batched.statement().line();
        boolean insert = isWord(t, 0, "INSERT") || (isWord(t, 0, "WITH") && Tokens.contains(t, "INSERT"));
        if (!isWord(t, 0, "INSERT") && !isWord(t, 0, "UPDATE") && !isWord(t, 0, "DELETE") && !isWord(t, 0, "WITH")) {
            findings.add(LintRule.BATCH_STATEMENT, statementLine,
                    "a batched statement is an INSERT, UPDATE or DELETE, not " + t.get(0).text());
            return;
        }
        if (!hasLimit(t, batched.directive().rows())) {
            findings.add(LintRule.BATCH_STATEMENT, statementLine, "the batched statement needs LIMIT "
                    + batched.directive().rows() + " (the dbtool:batch size), or one batch copies everything");
        }
        if (insert && !Tokens.contains(t, "NOT", "EXISTS") && !Tokens.contains(t, "ON", "CONFLICT")) {
            findings.add(LintRule.BATCH_STATEMENT, statementLine, "the batched INSERT copies the same rows again on"
                    + " every batch: skip rows already copied with WHERE NOT EXISTS (or ON CONFLICT DO NOTHING)");
        }
        if (batched.walksByKey() && !batched.returnsKeys()) {
            findings.add(LintRule.BATCH_STATEMENT, statementLine, "the batched statement uses "
                    + BatchDirective.AFTER_PLACEHOLDER + " but has no RETURNING key for the next batch to start after");
        }
    }

    private static boolean hasLimit(List<Token> t, long rows) {
        for (int i = 0; i + 1 < t.size(); i++) {
            if (t.get(i).is("LIMIT") && t.get(i + 1).kind() == Token.Kind.NUMBER
                    && t.get(i + 1).text().equals(Long.toString(rows))) {
                return true;
            }
        }
        return false;
    }

    /**
     * CREATE INDEX CONCURRENTLY and friends refuse to run in a transaction block; Flyway runs a file in one (or,
     * with mixed statements, refuses it), so such a statement must be alone in its file. REFRESH MATERIALIZED
     * VIEW CONCURRENTLY is the exception: it runs fine in a transaction.
     */
    private void checkConcurrentlyInTransaction(List<Token> t, int line) {
        int statements = script.statements().size();
        if (statements > 1 && Tokens.contains(t, "CONCURRENTLY") && !isWord(t, 0, "REFRESH")) {
            findings.add(LintRule.CONCURRENTLY_IN_TRANSACTION, line, "CONCURRENTLY cannot run inside a transaction"
                    + " block, and Flyway runs the " + statements + " statements of this file in one");
        }
    }

    private void create(List<Token> t, int line) {
        int i = skip(t, 1, "OR", "REPLACE");
        if (isWord(t, i, "GLOBAL") || isWord(t, i, "LOCAL")) {
            i++;
        }
        if (isWord(t, i, "TEMP") || isWord(t, i, "TEMPORARY") || isWord(t, i, "UNLOGGED")) {
            i++;
        }
        if (isWord(t, i, "TABLE")) {
            Tokens.Name table = Tokens.name(t, skip(t, i + 1, "IF", "NOT", "EXISTS"));
            if (table != null) {
                createdTables.add(table.name());
            }
            return;
        }
        i = skip(t, i, "UNIQUE");
        if (isWord(t, i, "INDEX")) {
            createIndex(t, i + 1, line);
        }
    }

    /** CREATE [UNIQUE] INDEX [CONCURRENTLY] [[IF NOT EXISTS] name] ON [ONLY] table ... */
    private void createIndex(List<Token> t, int i, int line) {
        boolean concurrently = isWord(t, i, "CONCURRENTLY");
        int nameAt = skip(t, skip(t, i, "CONCURRENTLY"), "IF", "NOT", "EXISTS");
        int on = Tokens.indexOfTopLevel(t, nameAt, "ON");
        Tokens.Name table = on < 0 ? null : Tokens.name(t, skip(t, on + 1, "ONLY"));
        if (table == null) {
            return;
        }
        if (createdTables.contains(table.name())) {
            Tokens.Name index = on > nameAt ? Tokens.name(t, nameAt) : null;
            if (index != null) {
                createdIndexes.add(index.name());
            }
        } else if (!concurrently) {
            findings.add(LintRule.CREATE_INDEX_NON_CONCURRENTLY, line, "CREATE INDEX on existing table "
                    + table.name() + " without CONCURRENTLY blocks writes to it until the index is built");
        }
    }

    private void dropIndex(List<Token> t, int line) {
        if (isWord(t, 2, "CONCURRENTLY")) {
            return;
        }
        List<String> indexes = names(t, skip(t, 2, "IF", "EXISTS"));
        if (!createdIndexes.containsAll(indexes)) {
            findings.add(LintRule.DROP_INDEX_NON_CONCURRENTLY, line, "DROP INDEX " + String.join(", ", indexes)
                    + " without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on its table, blocking reads and writes");
        }
    }

    private void dropTable(List<Token> t, int line) {
        List<String> existing = new ArrayList<>(names(t, skip(t, 2, "IF", "EXISTS")));
        existing.removeAll(createdTables);
        if (!existing.isEmpty() && !name.isContractStep()) {
            findings.add(LintRule.DROP_TABLE, line, "DROP TABLE " + String.join(", ", existing)
                    + " breaks application code still using it");
        }
    }

    private void alterTable(List<Token> t) {
        int i = skip(t, skip(t, 2, "IF", "EXISTS"), "ONLY");
        Tokens.Name table = Tokens.name(t, i);
        if (table == null) {
            return; // ALTER TABLE ALL IN TABLESPACE and the like
        }
        i = table.next() < t.size() && t.get(table.next()).isSymbol("*") ? table.next() + 1 : table.next();
        List<List<Token>> actions = Tokens.splitTopLevel(t, i);
        if (createdTables.contains(table.name())) {
            // A new table renamed in the same file is still new under its new name.
            for (List<Token> action : actions) {
                if (matches(action, 0, "RENAME", "TO") && action.size() > 2 && action.get(2).isName()) {
                    createdTables.add(action.get(2).name());
                }
            }
            return;
        }
        AlterTableChecks checks = new AlterTableChecks(table.name(), name.isContractStep(), findings);
        actions.stream().filter(a -> !a.isEmpty()).forEach(checks::check);
    }

    /** VACUUM FULL ..., or VACUUM (FULL [true|on|1], ...) but not FULL false/off/0. */
    private static boolean isVacuumFull(List<Token> t) {
        for (int i = 1; i < t.size(); i++) {
            if (t.get(i).is("FULL")) {
                Token value = i + 1 < t.size() ? t.get(i + 1) : null;
                boolean off = value != null && (value.is("FALSE") || value.is("OFF")
                        || (value.kind() == Token.Kind.NUMBER && value.text().equals("0")));
                return !off;
            }
        }
        return false;
    }

    /** A comma-separated list of (qualified) names from {@code i}, up to CASCADE/RESTRICT. */
    private static List<String> names(List<Token> t, int i) {
        List<String> names = new ArrayList<>();
        Tokens.Name n = Tokens.name(t, i);
        while (n != null && !t.get(i).is("CASCADE") && !t.get(i).is("RESTRICT")) {
            names.add(n.name());
            if (n.next() < t.size() && t.get(n.next()).isSymbol(",")) {
                i = n.next() + 1;
                n = Tokens.name(t, i);
            } else {
                break;
            }
        }
        return names;
    }
}
