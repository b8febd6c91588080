package dbtool.archive;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;

/**
 * gzip inflated by an {@code igzip -d} process (ISA-L: under half the CPU of zlib in this JVM, of which the pipes take
 * back some; and it runs beside the reading thread, not on it): a thread feeds it the compressed bytes, the reader
 * reads what it inflates.
 *
 * <p>As strict as {@link GzipMembersInputStream}: igzip checks every member's CRC-32 and length and fails (exit 1)
 * on a file that ends inside a member, but it stops without a word at bytes after a member that do not start like
 * another one. So the feeder ends its input with a member of its own holding random bytes: igzip inflates it only
 * when everything before it was whole gzip members. The reader withholds those bytes and checks them at the end; a
 * missing end is garbage after the last member. (igzip also ignores reserved flag bits in a member's header, which
 * change no data; the caller checks them in the first header, the sidecar covers the others.)
 *
 * <p>The feeder is the only reader of the source while the process runs; the source is the caller's again once
 * {@link #read} returned the end (the feeder has then read all of it) or {@link #close} returned. Not thread-safe:
 * one thread reads.
 */
final class IgzipInputStream extends InputStream {

    private static final int BUFFER = 1 << 16;
    private static final int END_LENGTH = 16;

    private final InputStream source;
    private final Process process;
    private final InputStream stdout;
    private final Thread feeder;
    private final byte[] end = new byte[END_LENGTH];
    /** igzip's output not yet handed out is {@code buffer[start, limit)}; its last END_LENGTH bytes are withheld. */
    private final byte[] buffer = new byte[BUFFER];
    private int start;
    private int limit;
    private boolean ended;
    private Throwable failure;
    private boolean closed;
    // Written by the feeder before it ends igzip, read after joining it.
    private volatile Throwable sourceFailure;

    /** Starts igzip now, so that one that cannot start is known before anything is read. */
    IgzipInputStream(InputStream source, Path igzip) throws IOException {
        this.source = source;
        new SecureRandom().nextBytes(end);
        byte[] endMember = gzip(end);
        this.process = new ProcessBuilder(List.of(igzip.toString(), "-d", "-c"))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        this.stdout = process.getInputStream();
        this.feeder = new Thread(() -> feed(endMember), "dbtool-igzip-feeder");
        feeder.setDaemon(true);
        feeder.start();
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream member = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(member)) {
            gzip.write(data);
        }
        return member.toByteArray();
    }

    private void feed(byte[] endMember) {
        byte[] chunk = new byte[BUFFER];
        try (OutputStream stdin = process.getOutputStream()) {
            while (true) {
                int n;
                try {
                    n = source.read(chunk);
                } catch (Throwable t) {
                    sourceFailure = t;
                    process.destroyForcibly(); // the reader gets the end of igzip's output, then this failure
                    return;
                }
                if (n < 0) {
                    break;
                }
                stdin.write(chunk, 0, n);
            }
            stdin.write(endMember);
        } catch (IOException e) {
            // igzip stopped reading (damaged data, garbage, or close()): its exit status or the missing end says why
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (closed) {
            throw new IOException("stream closed");
        }
        if (failure != null) {
            throwFailure(); // a reader that read ahead may have dropped it: it stays the verdict
        }
        if (len == 0) {
            return 0;
        }
        while (limit - start <= END_LENGTH) {
            if (ended) {
                return -1;
            }
            fill();
        }
        int n = Math.min(len, limit - start - END_LENGTH);
        System.arraycopy(buffer, start, b, off, n);
        start += n;
        return n;
    }

    private void fill() throws IOException {
        System.arraycopy(buffer, start, buffer, 0, limit - start);
        limit -= start;
        start = 0;
        int n;
        try {
            n = stdout.read(buffer, limit, buffer.length - limit);
        } catch (IOException e) {
            finish(e); // the feeder ended igzip (its source failed), which closes igzip's output under this read
            throw e;
        }
        if (n < 0) {
            finish(null);
            ended = true;
        } else {
            limit += n;
        }
    }

    /** At the end of igzip's output, or a failed read of it: the verdict, once the feeder has let go of the source. */
    private void finish(IOException readFailure) throws IOException {
        int exit = awaitFeederAndExit();
        Throwable failed = sourceFailure; // first: a bucket's lost connection is exit 1, not a damaged archive
        if (failed == null) {
            failed = readFailure;
        }
        if (failed == null && exit != 0) {
            failed = new ZipException("invalid or incomplete gzip data (igzip exited with " + exit + ")");
        }
        if (failed == null && (limit - start < END_LENGTH
                || !Arrays.equals(buffer, limit - END_LENGTH, limit, end, 0, END_LENGTH))) {
            failed = new ZipException("garbage after the last gzip member");
        }
        if (failed != null) {
            failure = failed;
            throwFailure();
        }
    }

    private void throwFailure() throws IOException {
        if (failure instanceof IOException io) {
            throw io;
        }
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        throw new IOException(failure);
    }

    /** Joins the feeder and waits for igzip; not interruptible, neither has long to go. */
    private int awaitFeederAndExit() {
        boolean interrupted = false;
        while (true) {
            try {
                feeder.join();
                int exit = process.waitFor();
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                return exit;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
    }

    /** Ends igzip if it still runs, waits for it and the feeder, then closes the source: nothing outlives this. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        process.destroyForcibly(); // the feeder's next write fails, so it ends too
        try {
            awaitFeederAndExit();
            stdout.close();
        } finally {
            source.close();
        }
    }
}
