package dbtool.config;

import java.nio.file.Path;

/** The {@code backup:} block: where archives go and which ones retention keeps (restic's forget rules). */
public record BackupSettings(
        Path dir,
        int keepLast,
        int keepDaily,
        int keepWeekly,
        int keepMonthly,
        boolean verify,
        String verifyUrl) {}
