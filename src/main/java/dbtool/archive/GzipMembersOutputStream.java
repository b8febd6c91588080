package dbtool.archive;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Optional;

/**
 * gzip as independent members, made in this JVM ({@link ParallelGzipOutputStream}) or by ISA-L's igzip
 * ({@link IgzipOutputStream}) when it is installed: on the bench's COPY data igzip -1 spends a quarter of the CPU of
 * zlib level 1 and writes 7% less (the README's Performance section has the numbers). Either way the output is
 * concatenated gzip members, which every gzip reader reads as one stream.
 *
 * <p>Appending members made elsewhere, closing and aborting are the same for both and live here; a subclass says
 * how it ends its members ({@link #endMembers}) and how it stops its threads or processes ({@link #stopCompressing}).
 */
public abstract sealed class GzipMembersOutputStream extends OutputStream
        permits ParallelGzipOutputStream, IgzipOutputStream {

    /** An empty stream is still one (empty) member: valid gzip. Deflate, no name, no mtime, OS unknown. */
    private static final byte[] EMPTY_MEMBER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 255, 3, 0, 0, 0, 0, 0,
        0, 0, 0, 0};

    /** The target; closed by {@link #close}, never by {@link #abort}. */
    final OutputStream out;
    private boolean anyMember;
    private boolean closed;

    GzipMembersOutputStream(OutputStream out) {
        this.out = out;
    }

    /** Ends the data written so far as whole members and writes them all to the target. */
    abstract void endMembers() throws IOException;

    /** Ends the threads or processes that compress, without writing anything more; may run more than once. */
    abstract void stopCompressing();

    /** Called when a member is (or will be) written, so that {@link #close} need not write an empty one. */
    final void memberWritten() {
        anyMember = true;
    }

    @Override
    public final void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    /**
     * Ends the data written so far at a member boundary, writes it all, then copies {@code members} (whole gzip
     * members made elsewhere) to the target as they are. Their content follows what was written here before.
     */
    final void appendMembers(InputStream members) throws IOException {
        ensureOpen();
        endMembers();
        try {
            members.transferTo(out);
        } catch (IOException | RuntimeException e) {
            abort();
            throw e;
        }
        memberWritten();
    }

    /** Writes the last members and closes the target; no thread or process outlives this, whatever happened. */
    @Override
    public final void close() throws IOException {
        if (closed) {
            return;
        }
        try {
            endMembers();
            if (!anyMember) {
                out.write(EMPTY_MEMBER);
            }
            closed = true;
            out.close();
        } finally {
            abort();
        }
    }

    /**
     * Stops without writing anything more and without closing the target (whose owner throws it away); no thread or
     * process outlives it.
     */
    public final void abort() {
        closed = true;
        stopCompressing();
    }

    final void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("gzip stream closed");
        }
    }

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
}
