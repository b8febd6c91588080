package dbtool.backup;

import dbtool.ExitCode;

import java.util.Locale;
import java.util.Objects;

/**
 * What a notification reports about one backup run.
 *
 * @param archive the archive written (a path or an s3:// URL), or null (failures usually have none)
 */
public record BackupEvent(String project, Status status, String message, String archive, ExitCode exitCode) {
    public enum Status {
        SUCCESS, FAILURE, WARNING;

        /** The spelling used in DBTOOL_STATUS and the JSON body. */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public BackupEvent {
        Objects.requireNonNull(project, "project");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(exitCode, "exitCode");
        message = message == null ? "" : message;
    }

    public static BackupEvent success(String project, String archive, String message) {
        return new BackupEvent(project, Status.SUCCESS, message, archive, ExitCode.OK);
    }

    /** The backup was written, but rows dropped sharply since the previous one (exit 7). */
    public static BackupEvent warning(String project, String archive, String message) {
        return new BackupEvent(project, Status.WARNING, message, archive, ExitCode.DRIFT);
    }

    public static BackupEvent failure(String project, ExitCode exitCode, String message) {
        return new BackupEvent(project, Status.FAILURE, message, null, exitCode);
    }
}
