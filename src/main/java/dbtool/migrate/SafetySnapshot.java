package dbtool.migrate;

/**
 * Takes a restorable copy of the database before the first pending migration runs. The CLI passes a lambda that
 * calls the export core into the project's backup directory; the migrate core only needs where the archive went (a path or
 * an s3:// URL), so it does not depend on how (or where) the snapshot is made.
 */
@FunctionalInterface
public interface SafetySnapshot {

    /** Takes the snapshot and returns the archive it wrote (a path or an s3:// URL); throws when it cannot. */
    String take();
}
