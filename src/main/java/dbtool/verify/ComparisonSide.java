package dbtool.verify;

import dbtool.Reporter;

/**
 * One side of {@code dbtool compare}: a live database or an archive's manifest. A side is read once,
 * as a whole, so that everything it reports describes one moment (for a database: one snapshot).
 */
public interface ComparisonSide {

    /** How the user recognises this side in the output, e.g. {@code user@host:5432/db}; never a password. */
    String label();

    /** False for sides that only know row counts (a manifest): {@code --checksum} is then a usage error. */
    boolean supportsChecksum();

    /**
     * Every relation of this side with its row count, and with {@code checksum} also its column list
     * and content checksum. Only called with {@code checksum} when {@link #supportsChecksum()}.
     */
    SideSnapshot read(boolean checksum, Reporter reporter);
}
