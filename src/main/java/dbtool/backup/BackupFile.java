package dbtool.backup;

import java.time.Instant;
import java.util.Objects;

/**
 * One complete archive of a project: the archive itself and its {@code .sha256} sidecar exist.
 *
 * @param path      where the archive is: a full path, or an s3:// URL
 * @param createdAt the UTC time stamp from the file name (not the file's mtime, which copies and restores change)
 * @param verified  whether a {@code <archive>.verified} marker exists, written by {@code --verify}
 * @param snapshot  a migration's safety snapshot ({@code <project>-<stamp>.snapshot.<ext>}): retention never deletes it
 */
public record BackupFile(String path, String project, Instant createdAt, long sizeBytes, boolean verified,
        boolean snapshot) {
    public BackupFile {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(project, "project");
        Objects.requireNonNull(createdAt, "createdAt");
    }

    /** A backup archive (not a migration's safety snapshot). */
    public BackupFile(String path, String project, Instant createdAt, long sizeBytes, boolean verified) {
        this(path, project, createdAt, sizeBytes, verified, false);
    }

    public String fileName() {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    public String sidecarName() {
        return fileName() + BackupDirectory.SIDECAR_SUFFIX;
    }

    public String verifiedMarkerName() {
        return fileName() + BackupDirectory.VERIFIED_SUFFIX;
    }
}
