package dbtool.migrate;

/**
 * A migration this run applied.
 *
 * @param millis execution time as recorded in the history table (the successful attempt only)
 * @param retries how often it was retried after timing out waiting for a lock (0 = first attempt succeeded)
 */
public record AppliedMigration(String version, String description, String script, long millis, int retries) {}
