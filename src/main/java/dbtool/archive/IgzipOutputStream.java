package dbtool.archive;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * gzip made by an {@code igzip} process (ISA-L): the bytes written here go to its stdin, a thread copies its stdout
 * to the target. One process makes one member; {@link #appendMembers} ends it, and the next write starts another.
 *
 * <p>The pump thread is the only writer of the target while a process runs; the caller's thread writes to it only
 * after the pump has ended (appending members, closing), so the target sees one writer at a time. A target that
 * fails ends the process, which fails the caller's next write, flush or close.
 *
 * <p>Not thread-safe: one thread writes.
 */
public final class IgzipOutputStream extends GzipMembersOutputStream {

    private static final int PIPE_BUFFER = 1 << 16;

    private final List<String> command;
    private Segment segment;

    /** Starts the first process now, so that an igzip that cannot start is known before anything is written. */
    IgzipOutputStream(OutputStream out, Path igzip, int level) throws IOException {
        super(out);
        if (level < 0 || level > 3) {
            throw new IllegalArgumentException("igzip level " + level);
        }
        this.command = List.of(igzip.toString(), "-" + level, "-c");
        this.segment = new Segment();
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        ensureOpen();
        if (len == 0) {
            return;
        }
        if (segment == null) {
            segment = new Segment();
        }
        try {
            segment.stdin.write(b, off, len);
        } catch (IOException e) {
            throw failed(e);
        }
    }

    /**
     * Passes what was written to igzip; the target gets igzip's output as it comes (a flush must not cut the stream
     * into small members, as with GZIPOutputStream without sync flush).
     */
    @Override
    public void flush() throws IOException {
        ensureOpen();
        if (segment != null) {
            try {
                segment.stdin.flush();
            } catch (IOException e) {
                throw failed(e);
            }
        }
    }

    /** Closes igzip's stdin, waits for its last output and checks it ended well. */
    @Override
    void endMembers() throws IOException {
        if (segment == null) {
            return;
        }
        try {
            segment.stdin.close();
            segment.await();
        } catch (IOException e) {
            throw failed(e);
        }
        segment = null;
        memberWritten();
    }

    @Override
    void stopCompressing() {
        if (segment != null) {
            segment.kill();
            segment = null;
        }
    }

    /** Aborts, and says why: the target's failure if the pump saw one, else igzip's. */
    private IOException failed(IOException e) {
        Segment failed = segment;
        abort();
        if (failed != null && failed.failure != null) {
            return failed.failure instanceof IOException io ? io : new IOException(failed.failure);
        }
        return e;
    }

    /** One igzip process and the thread that copies its output to the target. */
    private final class Segment {
        final Process process;
        final OutputStream stdin;
        final Thread pump;
        // Written by the pump, read after joining it (or after the process died, which ends the pump).
        volatile Throwable failure;

        Segment() throws IOException {
            this.process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            this.stdin = new BufferedOutputStream(process.getOutputStream(), PIPE_BUFFER);
            this.pump = new Thread(this::pump, "dbtool-igzip");
            pump.setDaemon(true);
            pump.start();
        }

        private void pump() {
            byte[] buffer = new byte[PIPE_BUFFER];
            try (InputStream stdout = process.getInputStream()) {
                int n;
                while ((n = stdout.read(buffer)) > 0) {
                    out.write(buffer, 0, n);
                }
            } catch (Throwable t) {
                failure = t;
                process.destroyForcibly(); // the caller's next write to stdin fails instead of waiting forever
            }
        }

        void await() throws IOException {
            try {
                pump.join();
                int exit = process.waitFor();
                if (failure != null) {
                    throw failure instanceof IOException io ? io : new IOException(failure);
                }
                if (exit != 0) {
                    throw new IOException("igzip exited with " + exit);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while compressing");
            }
        }

        void kill() {
            process.destroyForcibly();
            boolean interrupted = false;
            while (true) {
                try {
                    pump.join();
                    process.waitFor();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
