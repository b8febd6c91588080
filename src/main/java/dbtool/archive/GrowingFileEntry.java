package dbtool.archive;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One archive entry deflated while its file is still being written (a big table's data while pg_dump dumps it), so
 * that compressing it overlaps dumping it instead of following it. A thread reads the file as it grows, hashes it,
 * shows every byte to {@code alsoTo} and deflates it, followed by tar's padding, into independent gzip members in a
 * scratch file. Once the writer has closed the file ({@link #complete}), {@link ArchiveWriter.Body#addGrowing} puts
 * the entry's tar header into the archive and copies those members after it as they are. The file may only grow, by
 * appending, until it is complete.
 */
public final class GrowingFileEntry implements AutoCloseable {

    /** How long the reader waits at the file's current end before looking again. */
    private static final long POLL_MILLIS = 20;
    private static final int BUFFER = 1 << 20;
    private static final int RECORD = 512;

    private final Path source;
    private final Path scratch;
    private final OutputStream alsoTo;
    private final OutputStream scratchOut;
    private final GzipMembersOutputStream gzip;
    private final CountDownLatch completed = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean stopped;
    // Written by the reader thread, read after joining it.
    private Throwable failure;
    private long size;
    private String sha256;

    GrowingFileEntry(Path source, Path scratch, OutputStream alsoTo, int threads, int level, Optional<Path> igzip)
            throws IOException {
        this.source = source;
        this.scratch = scratch;
        this.alsoTo = alsoTo;
        this.scratchOut = Files.newOutputStream(scratch, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        this.gzip = GzipMembersOutputStream.open(scratchOut, threads, level, igzip);
        this.thread = new Thread(this::run, "dbtool-deflate-" + source.getFileName());
        thread.setDaemon(true);
        thread.start();
    }

    public Path source() {
        return source;
    }

    /** The file is complete (its writer closed it): the reader reads to its end and finishes the members. */
    public void complete() {
        completed.countDown();
    }

    private void run() {
        MessageDigest digest = Sha256.newDigest();
        byte[] buffer = new byte[BUFFER];
        long read = 0;
        try (InputStream in = Files.newInputStream(source)) {
            while (!stopped) {
                // Looked at before reading: when the file was complete before this read, its end is the real end.
                boolean whole = completed.getCount() == 0;
                int n = in.read(buffer);
                if (n > 0) {
                    digest.update(buffer, 0, n);
                    alsoTo.write(buffer, 0, n);
                    gzip.write(buffer, 0, n);
                    read += n;
                } else if (whole) {
                    break;
                } else {
                    completed.await(POLL_MILLIS, TimeUnit.MILLISECONDS);
                }
            }
            if (stopped) {
                throw new IOException("packing was abandoned");
            }
            gzip.write(new byte[(int) ((RECORD - read % RECORD) % RECORD)]); // tar's padding, inside the members
            gzip.close();
            size = read;
            sha256 = Sha256.hex(digest);
        } catch (InterruptedException e) {
            failure = new InterruptedIOException("interrupted while packing " + source.getFileName());
        } catch (Throwable t) {
            failure = t;
        } finally {
            if (sha256 == null) {
                gzip.abort();
                closeQuietly(scratchOut);
            }
        }
    }

    /** Waits for the reader after {@link #complete}; rethrows what went wrong there. */
    void await() throws IOException {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
                stopped = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure instanceof IOException e) {
            throw e;
        } else if (failure instanceof RuntimeException e) {
            throw e;
        } else if (failure instanceof Error e) {
            throw e;
        } else if (failure != null) {
            throw new IOException(failure);
        }
    }

    /** The file's length (valid after {@link #await}). */
    long size() {
        return size;
    }

    /** The file's SHA-256 (valid after {@link #await}). */
    String sha256() {
        return sha256;
    }

    /** The deflated content and padding, whole gzip members (valid after {@link #await}). */
    Path members() {
        return scratch;
    }

    /** Stops the reader if it still runs and deletes the scratch file; the source file is left alone. */
    @Override
    public void close() throws IOException {
        stopped = true;
        completed.countDown();
        try {
            await();
        } catch (IOException ignored) {
            // stopping is what was asked; the caller already knows why
        } finally {
            Files.deleteIfExists(scratch);
        }
    }

    private static void closeQuietly(OutputStream out) {
        try {
            out.close();
        } catch (IOException ignored) {
            // a scratch file that is deleted next
        }
    }
}
