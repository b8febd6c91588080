package dbtool.archive;

import java.util.regex.Pattern;

/** The names inside an archive. Anything else found in an archive is refused on import. */
public final class ArchiveLayout {

    public static final String MANIFEST = "manifest.json";
    public static final String CHECKSUMS = "SHA256SUMS";
    public static final String DUMP_DIR = "dump";
    public static final String DUMP_PREFIX = DUMP_DIR + "/";
    /** Roles and tablespaces (pg_dumpall --globals-only), with export --globals. Holds secrets: 0600. */
    public static final String GLOBALS = "globals.sql";
    /** pg_dump -Fd names its files toc.dat, 1234.dat, 1234.dat.gz, blob_5678.dat, blobs.toc and so on. */
    private static final Pattern DUMP_FILE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,200}");

    private ArchiveLayout() {}

    /** A file the manifest may list: a dump file, or globals.sql. */
    public static boolean isDataFile(String entryName) {
        return entryName.equals(GLOBALS) || isDumpFile(entryName);
    }

    /** True for dump/<plain file name>: no separators, no "..", nothing hidden. */
    public static boolean isDumpFile(String entryName) {
        if (!entryName.startsWith(DUMP_PREFIX)) {
            return false;
        }
        String file = entryName.substring(DUMP_PREFIX.length());
        return DUMP_FILE.matcher(file).matches() && !file.contains("..");
    }
}
