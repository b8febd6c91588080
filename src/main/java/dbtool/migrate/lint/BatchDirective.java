package dbtool.migrate.lint;

/**
 * A {@code -- dbtool:batch <rows>} line: the statement after it is an idempotent backfill that the migrate command
 * runs again and again, each run its own short transaction, until it copies nothing more.
 *
 * @param line the 1-based line of the directive
 * @param rows the batch size; the statement's {@code LIMIT} says the same
 */
public record BatchDirective(int line, long rows) {

    /**
     * In a batched statement, the highest key the previous batch returned (its {@code RETURNING} first column), or
     * the lowest bigint for the first batch and for the final pass inside the migration's transaction. Spelled as a
     * Flyway placeholder, so Flyway, which runs that final pass, fills it in too.
     */
    public static final String AFTER_PLACEHOLDER = "${dbtool_batch_after}";
    /** The placeholder's name, as Flyway's configuration takes it. */
    public static final String AFTER_NAME = "dbtool_batch_after";
    /**
     * Below every key: a bigint literal (not the lowest bigint, whose literal would be numeric), so an index on an
     * integer key still serves {@code key > value}.
     */
    public static final String BEFORE_ALL_KEYS = "-9223372036854775807";
}
