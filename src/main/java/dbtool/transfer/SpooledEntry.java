package dbtool.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One archive entry on its way from the archive's stream to a loader, through a file in the work directory: the
 * reader writes it (as stored) while a loader reads it behind, so the reader never waits for the server and runs
 * ahead to the next entry, and a loader starts on an entry's first bytes instead of its last. The file is deleted
 * once loaded; a slow server only makes the backlog on disk grow, never the heap.
 */
final class SpooledEntry {

    private final String dumpId;
    private final Path file;
    private final boolean gzip;
    private long written;
    private boolean complete;
    private Boolean verified;
    private boolean abandoned;

    SpooledEntry(String dumpId, Path file, boolean gzip) {
        this.dumpId = dumpId;
        this.file = file;
        this.gzip = gzip;
    }

    String dumpId() {
        return dumpId;
    }

    boolean gzip() {
        return gzip;
    }

    Path file() {
        return file;
    }

    /** The reader's end: each write is visible to the loader at once. */
    OutputStream writer() throws IOException {
        OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (isAbandoned()) {
                    throw new InterruptedIOException("loading stopped");
                }
                out.write(b, off, len);
                wrote(len);
            }

            @Override
            public void close() throws IOException {
                out.close();
                synchronized (SpooledEntry.this) {
                    complete = true;
                    SpooledEntry.this.notifyAll();
                }
            }
        };
    }

    private synchronized void wrote(long n) {
        written += n;
        notifyAll();
    }

    private synchronized boolean isAbandoned() {
        return abandoned;
    }

    /** Whether the whole entry matched its checksum: the loader commits only then. */
    synchronized void verified(boolean ok) {
        verified = ok;
        complete = true;
        notifyAll();
    }

    /** Stops both ends (another entry failed, or the import is interrupted). */
    synchronized void abandon() {
        abandoned = true;
        notifyAll();
    }

    /** Waits for the reader's verdict on the entry. */
    synchronized boolean awaitVerified() throws InterruptedIOException {
        while (verified == null && !abandoned) {
            await();
        }
        return verified != null && verified && !abandoned;
    }

    /** Bytes readable from {@code position} on (0 only at the entry's end). */
    private synchronized long readable(long position) throws InterruptedIOException {
        while (written <= position && !complete && !abandoned) {
            await();
        }
        if (abandoned) {
            throw new InterruptedIOException("loading stopped");
        }
        return written - position;
    }

    private void await() throws InterruptedIOException {
        try {
            wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }

    /** The loader's end: the entry's stored bytes, following the reader. */
    InputStream reader() throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        return new InputStream() {
            private long position;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                long available = readable(position);
                if (available == 0) {
                    return -1;
                }
                int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, available)), position);
                if (n > 0) {
                    position += n;
                }
                return n;
            }

            @Override
            public void close() throws IOException {
                channel.close();
            }
        };
    }
}
