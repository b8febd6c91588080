package dbtool.migrate.lint;

/**
 * A {@code -- dbtool:verify <expression>} line: a SQL boolean expression that the migrate command evaluates after
 * the migration ran; false means the data did not come across as intended.
 */
public record VerifyDirective(int line, String expression) {}
