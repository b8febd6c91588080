package dbtool.migrate;

import java.time.Duration;

/**
 * How long to wait before retrying a migration that timed out waiting for a lock: doubling from {@code first}, at
 * most {@code max}. Waiting between attempts is the point: while the migration does not queue for its lock, the
 * application's queries behind it get through.
 */
public record Backoff(Duration first, Duration max) {

    public static final Backoff DEFAULT = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));

    /** The wait before retry number {@code retry} (0 = the first retry). */
    public Duration delay(int retry) {
        Duration d = first.multipliedBy(1L << Math.min(retry, 20));
        return d.compareTo(max) > 0 ? max : d;
    }
}
