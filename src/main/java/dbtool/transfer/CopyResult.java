package dbtool.transfer;

import dbtool.config.ConnectionSettings;
import dbtool.verify.ComparisonReport;

/**
 * A finished copy: the restore's outcome (row counts checked against the source snapshot) and, with
 * --checksum, the content comparison of source snapshot and target.
 *
 * @param checksums null without --checksum
 */
public record CopyResult(ConnectionSettings source, ImportResult restore, ComparisonReport checksums, long millis) {

    public boolean passed() {
        return restore.check().passed() && (checksums == null || checksums.equal());
    }
}
