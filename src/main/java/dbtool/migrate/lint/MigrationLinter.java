package dbtool.migrate.lint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Reports locking and compatibility hazards in Flyway migration files ({@code V<n>__<description>.sql}).
 *
 * <p>Files whose description starts with {@code contract_} are contract steps of expand/contract: they may drop
 * and rename. {@code -- dbtool:allow <rule>} in a file silences that rule for the file. A file that cannot be
 * tokenized (an unclosed string or comment) yields one {@code syntax-error} finding instead of failing the run,
 * so the other files are still checked.
 */
public final class MigrationLinter {

    /**
     * Lints one file, or every {@code *.sql} file under a directory (recursively, as Flyway scans locations) in
     * Flyway version order: V2 before V10, versioned before repeatable.
     */
    public List<LintFinding> lint(Path fileOrDir) throws IOException {
        List<LintFinding> findings = new ArrayList<>();
        for (Path file : sqlFiles(fileOrDir)) {
            findings.addAll(lintSql(file, Files.readString(file)));
        }
        return findings;
    }

    /** Lints SQL text as if it were the file {@code fileName}, whose name decides whether it is a contract step. */
    public List<LintFinding> lintSql(String fileName, String sql) {
        return lintSql(Path.of(fileName), sql);
    }

    /** Findings of one file, by line. */
    public List<LintFinding> lintSql(Path file, String sql) {
        SqlScript script;
        try {
            script = SqlScript.parse(sql);
        } catch (SqlSyntaxException e) {
            LintRule rule = LintRule.SYNTAX_ERROR;
            return List.of(new LintFinding(rule.id(), file, e.line(), e.getMessage(), rule.safeAlternative()));
        }
        return new FileLinter(file, script).run();
    }

    /** {@code path:line: [rule] message. Safe: alternative}, one line per finding. */
    public static String format(LintFinding finding) {
        return finding.file() + ":" + finding.line() + ": [" + finding.rule() + "] " + finding.message()
                + ". Safe: " + finding.safeAlternative();
    }

    private static List<Path> sqlFiles(Path fileOrDir) throws IOException {
        if (!Files.isDirectory(fileOrDir)) {
            return List.of(fileOrDir);
        }
        try (Stream<Path> walk = Files.walk(fileOrDir)) {
            return walk.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".sql"))
                    .sorted(Comparator.comparing((Path p) -> MigrationName.of(p.getFileName().toString()),
                                    MigrationName.FLYWAY_ORDER)
                            .thenComparing(Path::toString))
                    .toList();
        }
    }
}
