package dbtool.config;

import java.net.URI;
import java.nio.file.Path;

/**
 * The {@code backup:} block: where archives go and which ones retention keeps (restic's forget rules).
 *
 * @param metricsFile Prometheus text file rewritten after every run, or null
 * @param pushgateway Prometheus Pushgateway base URL the same metrics are pushed to, or null
 */
public record BackupSettings(
        Path dir,
        int keepLast,
        int keepDaily,
        int keepWeekly,
        int keepMonthly,
        boolean verify,
        String verifyUrl,
        Path metricsFile,
        URI pushgateway) {}
