package dbtool.migrate;

import java.nio.file.Path;

/**
 * Takes a restorable copy of the database before the first pending migration runs. The CLI passes a lambda that
 * calls the export core into the project's backup directory; the migrate core only needs the resulting path, so it
 * does not depend on how (or where) the snapshot is made.
 */
@FunctionalInterface
public interface SafetySnapshot {

    /** Takes the snapshot and returns the archive it wrote; throws (e.g. a DbToolException) when it cannot. */
    Path take();
}
