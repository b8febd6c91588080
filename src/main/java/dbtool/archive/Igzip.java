package dbtool.archive;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where ISA-L's igzip is, if installed: the archive writer deflates with it ({@link IgzipOutputStream}) and the reader
 * inflates with it ({@link IgzipInputStream}); without it both use zlib in the JVM and make and read the same archives.
 */
public final class Igzip {

    private Igzip() {}

    /** The igzip executable on PATH, if any. */
    public static Optional<Path> find() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(Pattern.quote(java.io.File.pathSeparator))) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, "igzip");
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
