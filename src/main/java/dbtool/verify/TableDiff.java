package dbtool.verify;

import java.util.Locale;

/**
 * One relation present on both sides that differs. {@code table} is the display name
 * ({@link TableName#display()}); {@code reason} is one of the constants below, stable for scripts and
 * tests; {@code detail} says more where the reason alone does not (which kinds, which column), else
 * null. Rows are {@link #UNKNOWN_ROWS} where a side has no count; checksums are null unless both
 * sides were checksummed.
 */
public record TableDiff(String table, long leftRows, long rightRows, String leftChecksum, String rightChecksum,
        String reason, String detail) {

    /** Row counts differ. */
    public static final String ROWS = "rows differ";
    /** Equal row counts, different checksums: some row's text differs (or a duplicate moved). */
    public static final String CONTENT = "content differs";
    /** Column names or types (in order) differ, so row texts cannot be compared; counts only. */
    public static final String COLUMNS = "columns differ";
    /** E.g. a plain table on one side and a partitioned table or materialized view on the other. */
    public static final String KIND = "kind differs";
    /** A materialized view is populated on one side only, so it has rows on one side only. */
    public static final String POPULATED = "populated differs";

    public static final long UNKNOWN_ROWS = -1;

    /** One line, e.g. {@code public.cats: rows 120 vs 121}. */
    public String describe() {
        return table + ": " + switch (reason) {
            case ROWS -> "rows " + count(leftRows) + " vs " + count(rightRows);
            case CONTENT -> "content differs (checksum) with equal row counts " + count(leftRows);
            case COLUMNS -> "columns differ (" + detail + "), contents not checksummed; "
                    + (leftRows == rightRows ? "equal row counts " + count(leftRows)
                            : "rows " + count(leftRows) + " vs " + count(rightRows));
            default -> detail == null ? reason : detail;
        };
    }

    static String count(long rows) {
        return rows == UNKNOWN_ROWS ? "unknown" : String.format(Locale.ROOT, "%,d", rows);
    }
}
