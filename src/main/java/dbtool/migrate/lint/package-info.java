/**
 * The migration linter: finds locking and compatibility hazards in Flyway migration SQL.
 *
 * <p>Entry points: {@link dbtool.migrate.lint.MigrationLinter#lint(java.nio.file.Path)} (a file, or every *.sql under
 * a directory in Flyway version order), {@link dbtool.migrate.lint.MigrationLinter#lintSql(String, String)} and
 * {@link dbtool.migrate.lint.MigrationLinter#format(dbtool.migrate.lint.LintFinding)}. Rule names are
 * {@link dbtool.migrate.lint.LintRule#id()}. {@link dbtool.migrate.lint.SqlScript#parse(String)} gives the
 * statements and the {@code -- dbtool:verify} checks that the migrate command evaluates.
 *
 * <p>Rules match token sequences from {@link dbtool.migrate.lint.SqlLexer}, never regular expressions over raw text,
 * so a keyword inside a string, comment, quoted identifier or dollar-quoted function body never triggers one.
 */
package dbtool.migrate.lint;
