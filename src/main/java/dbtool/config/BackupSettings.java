package dbtool.config;

import dbtool.DbToolException;
import java.net.URI;
import java.nio.file.Path;

/**
 * The {@code backup:} block: where archives go and which ones retention keeps (restic's forget rules).
 *
 * @param location a directory or {@code s3://bucket/prefix}
 * @param metricsFile Prometheus text file rewritten after every run, or null
 * @param pushgateway Prometheus Pushgateway base URL the same metrics are pushed to, or null
 */
public record BackupSettings(
        String location,
        int keepLast,
        int keepDaily,
        int keepWeekly,
        int keepMonthly,
        boolean verify,
        String verifyUrl,
        Path metricsFile,
        URI pushgateway) {

    /** Whether backups go to an S3 bucket rather than a local directory. */
    public boolean inBucket() {
        return location.startsWith("s3://");
    }

    /**
     * The backup directory on local disk, for doctor's disk checks; everything that reads or writes backups opens
     * backup.dir through {@code BackupDirectory.open}, directory or bucket alike. A usage error for a bucket.
     */
    public Path dir() {
        if (inBucket()) {
            throw DbToolException.usage("backup.dir is " + location + ", a bucket, not a local directory");
        }
        return Path.of(location);
    }
}
