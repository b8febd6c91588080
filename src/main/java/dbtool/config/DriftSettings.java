package dbtool.config;

/**
 * The {@code drift:} block: when a backup's row counts count as a sharp drop since the previous backup.
 *
 * @param enabled false for {@code drift: off}
 * @param maxDropPercent a table that lost more than this share of its rows (in percent) is a drift
 * @param minRows tables that had fewer rows than this in the previous backup are ignored (tiny tables cry wolf)
 */
public record DriftSettings(boolean enabled, double maxDropPercent, long minRows) {
    public static final DriftSettings DEFAULT = new DriftSettings(true, 20, 1000);
    public static final DriftSettings OFF = new DriftSettings(false, 20, 1000);
}
