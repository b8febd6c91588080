package dbtool.archive;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * The file name dbtool gives an archive: {@code <prefix>-<yyyyMMdd'T'HHmmss'Z'>[.snapshot].<extension>}. Export builds
 * it here and the backup directory parses it with {@link #coreRegex}, so both agree on one form.
 *
 * @param prefix the project (or database) name, already restricted to {@code [A-Za-z0-9._-]}
 * @param createdAt the UTC second the archive was started
 * @param extension without the leading dot: {@code tar.gz}, {@code tar.zst} or {@code tar}
 */
public record ArchiveName(String prefix, Instant createdAt, Kind kind, String extension) {

    public static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    /** What an archive is for. Retention deletes backups only; a migration's safety snapshot is kept until a person deletes it. */
    public enum Kind {
        BACKUP(""),
        SNAPSHOT(".snapshot");

        private final String marker;

        Kind(String marker) {
            this.marker = marker;
        }

        public String marker() {
            return marker;
        }
    }

    public ArchiveName {
        createdAt = createdAt.truncatedTo(ChronoUnit.SECONDS);
        extension = extension.startsWith(".") ? extension.substring(1) : extension;
    }

    public String fileName() {
        return prefix + "-" + STAMP.format(createdAt) + kind.marker() + "." + extension;
    }

    /**
     * A regex for the archive names of one prefix, with three groups: the whole name, the stamp, and
     * {@code .snapshot} (null for a backup).
     */
    public static String coreRegex(String quotedPrefix, String extensionRegex) {
        return "(" + quotedPrefix + "-(\\d{8}T\\d{6}Z)(" + java.util.regex.Pattern.quote(Kind.SNAPSHOT.marker()) + ")?\\."
                + extensionRegex + ")";
    }
}
