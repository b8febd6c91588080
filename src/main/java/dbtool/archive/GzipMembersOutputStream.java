package dbtool.archive;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * gzip as independent members, made in this JVM ({@link ParallelGzipOutputStream}) or by ISA-L's igzip
 * ({@link IgzipOutputStream}) when it is installed: on the bench's COPY data igzip -1 spends a quarter of the CPU of
 * zlib level 1 and writes 7% less (the README's Performance section has the numbers). Either way the output is
 * concatenated gzip members, which every gzip reader reads as one stream.
 */
public abstract sealed class GzipMembersOutputStream extends OutputStream
        permits ParallelGzipOutputStream, IgzipOutputStream {

    /**
     * Ends the data written so far at a member boundary, writes it all, then copies {@code members} (whole gzip
     * members made elsewhere) to the target as they are.
     */
    abstract void appendMembers(InputStream members) throws IOException;

    /** Stops without writing anything more and without closing the target; no thread or process outlives it. */
    public abstract void abort();

    /**
     * igzip if {@code igzip} is present and starts, otherwise zlib on {@code threads} threads.
     *
     * @param level zlib's level 0-9 (igzip's 0-3: higher levels are capped at 3)
     */
    static GzipMembersOutputStream open(OutputStream out, int threads, int level, Optional<Path> igzip) {
        if (igzip.isPresent()) {
            try {
                return new IgzipOutputStream(out, igzip.get(), Math.min(level, 3));
            } catch (IOException e) {
                // an igzip that does not start (not executable, no memory) is as good as none: zlib does the job
            }
        }
        return new ParallelGzipOutputStream(out, threads, level);
    }

    /** The igzip executable on PATH, if any. */
    public static Optional<Path> findIgzip() {
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
