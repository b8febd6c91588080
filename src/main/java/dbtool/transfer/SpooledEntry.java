package dbtool.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.concurrent.Semaphore;

/**
 * One archive entry on its way from the archive's stream to a loader. Its bytes go through a few chunks in memory
 * while its loader keeps up (no write to and read back from the page cache); when the chunks are full the reader
 * waits for the loader only as long as no other loader could take the next entry, and otherwise spills the rest of
 * the entry to a file in the work directory that the loader reads behind the reader. So the stream never stalls on
 * one slow table while another loader idles, the heap holds at most a fixed number of chunks (shared by all entries)
 * and a slow server only makes the backlog on disk grow, as far as the work disk has room for the rest of the entry
 * ({@link SpillFiles}): otherwise the reader waits for the loader. The file, if any, is deleted once loaded.
 */
final class SpooledEntry {

    /** Whether to spill instead of waiting for the loader: told whether a loader has taken the entry yet. */
    interface SpillPolicy {
        boolean spill(boolean taken);
    }

    /** Where the rest of a full entry may go instead of memory: asked before the first byte goes there. */
    interface SpillFiles {
        /** Whether a file of {@code bytes} (the rest of the entry, at most) fits with room to spare. */
        boolean room(long bytes);

        default OutputStream create(Path file) throws IOException {
            return WorkDisk.REAL.create(file);
        }
    }

    /** Files wherever the entry's reader is faster than its loader, whatever their size (tests). */
    static final SpillFiles UNBOUNDED = bytes -> true;

    static final int CHUNK = 1 << 18;
    /** Chunks one entry may hold before its reader waits or spills. */
    static final int CHUNKS_PER_ENTRY = 16;

    private final String dumpId;
    private final Path file;
    private final boolean gzip;
    private final Semaphore memory;
    private final SpillPolicy policy;
    private final long size;
    private final SpillFiles files;
    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
    private final ArrayDeque<Integer> lengths = new ArrayDeque<>();
    private final ArrayDeque<byte[]> free = new ArrayDeque<>();
    private int headPosition;
    private boolean spilled;
    private boolean taken;
    private boolean readerClosed;
    private long written;
    /** Bytes the reader has handed over so far, to memory and file: the rest of the entry is size - received. */
    private long received;
    private boolean complete;
    private Boolean verified;
    private boolean abandoned;

    /**
     * @param memory the chunks all entries may hold at once (taken without waiting: none left means spill)
     * @param policy asked, when this entry's chunks are full, whether to spill rather than wait for its loader
     * @param size the entry's bytes (its tar header's size): the most its file can take
     * @param files asked whether the rest of the entry fits on the work disk before it spills
     */
    SpooledEntry(String dumpId, Path file, boolean gzip, Semaphore memory, SpillPolicy policy, long size,
            SpillFiles files) {
        this.dumpId = dumpId;
        this.file = file;
        this.gzip = gzip;
        this.memory = memory;
        this.policy = policy;
        this.size = size;
        this.files = files;
    }

    /** An entry of unknown size on a disk that never fills (tests). */
    SpooledEntry(String dumpId, Path file, boolean gzip, Semaphore memory, SpillPolicy policy) {
        this(dumpId, file, gzip, memory, policy, Long.MAX_VALUE, UNBOUNDED);
    }

    /** An entry that goes through its file from the first byte. */
    SpooledEntry(String dumpId, Path file, boolean gzip) {
        this(dumpId, file, gzip, new Semaphore(0), taken -> true, Long.MAX_VALUE, UNBOUNDED);
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

    /** The entry's stored bytes (its tar header's size; unknown: {@link Long#MAX_VALUE}). */
    long size() {
        return size;
    }

    /** Whether some of the entry went through its file (tests, and the timeline). */
    synchronized boolean spilled() {
        return spilled;
    }

    /** The reader's end: each write is visible to the loader at once. */
    OutputStream writer() {
        return new OutputStream() {
            private OutputStream out;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                while (len > 0) {
                    if (out == null) {
                        byte[] chunk = chunkOrSpill();
                        if (chunk != null) {
                            int n = Math.min(len, chunk.length);
                            System.arraycopy(b, off, chunk, 0, n);
                            put(chunk, n);
                            off += n;
                            len -= n;
                            continue;
                        }
                        if (readerGone()) {
                            return; // the loader stopped reading (its COPY failed): the reader's checksum still decides
                        }
                        out = files.create(file);
                        spill();
                    }
                    if (isAbandoned()) {
                        throw new InterruptedIOException("loading stopped");
                    }
                    out.write(b, off, len);
                    wrote(len);
                    len = 0;
                }
            }

            @Override
            public void close() throws IOException {
                if (out != null) {
                    out.close();
                }
                synchronized (SpooledEntry.this) {
                    complete = true;
                    SpooledEntry.this.notifyAll();
                }
            }
        };
    }

    /** A chunk to fill, or null once the rest of the entry goes to its file. */
    private synchronized byte[] chunkOrSpill() throws InterruptedIOException {
        while (!spilled && !readerClosed) {
            if (abandoned) {
                throw new InterruptedIOException("loading stopped");
            }
            if (chunks.size() < CHUNKS_PER_ENTRY && memory.tryAcquire()) {
                byte[] chunk = free.poll();
                return chunk != null ? chunk : new byte[CHUNK];
            }
            // No memory left for any entry, or a loader is free for the next entry: spill, if the rest fits on disk.
            // The whole rest is asked for at once, so no write to the file needs another look at the disk.
            boolean wanted = chunks.isEmpty() || policy.spill(taken);
            if (wanted && files.room(size - received)) {
                return null;
            }
            if (chunks.isEmpty()) {
                // Other entries hold every chunk and their loaders free them without waking this one; nor does a
                // disk that frees up tell anyone. Seldom: no memory and no room at once.
                awaitBriefly();
            } else {
                await(); // the loader frees a chunk, or another loader becomes free
            }
        }
        return null;
    }

    private synchronized void put(byte[] chunk, int length) {
        if (readerClosed || abandoned) {
            memory.release(); // dropped
            return;
        }
        chunks.add(chunk);
        lengths.add(length);
        received += length;
        notifyAll();
    }

    private synchronized void spill() {
        spilled = true;
        notifyAll();
    }

    private synchronized void wrote(long n) {
        written += n;
        received += n;
        notifyAll();
    }

    private synchronized boolean readerGone() {
        return readerClosed;
    }

    private synchronized boolean isAbandoned() {
        return abandoned;
    }

    /** Wakes a reader that waits for this entry's loader: another loader has become free. */
    synchronized void loaderFree() {
        notifyAll();
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
        dropChunks();
    }

    private synchronized void dropChunks() {
        memory.release(chunks.size());
        chunks.clear();
        lengths.clear();
        notifyAll();
    }

    /** The loader reads no more of the entry: what is left of it in memory, or still to come, is dropped. */
    private synchronized void readerClosed() {
        readerClosed = true;
        dropChunks();
    }

    /** Waits for the reader's verdict on the entry. */
    synchronized boolean awaitVerified() throws InterruptedIOException {
        while (verified == null && !abandoned) {
            await();
        }
        return verified != null && verified && !abandoned;
    }

    /**
     * Copies the next bytes held in memory into {@code b}: their count, 0 when the rest is in the file, -1 at the
     * entry's end.
     */
    private synchronized int readMemory(byte[] b, int off, int len) throws InterruptedIOException {
        while (true) {
            if (abandoned) {
                throw new InterruptedIOException("loading stopped");
            }
            if (!chunks.isEmpty()) {
                byte[] head = chunks.peek();
                int length = lengths.peek();
                int n = Math.min(len, length - headPosition);
                System.arraycopy(head, headPosition, b, off, n);
                headPosition += n;
                if (headPosition == length) {
                    chunks.poll();
                    lengths.poll();
                    free.add(head);
                    headPosition = 0;
                    memory.release();
                    notifyAll();
                }
                return n;
            }
            if (spilled) {
                return 0;
            }
            if (complete) {
                return -1;
            }
            await();
        }
    }

    /** Bytes of the file readable from {@code position} on (0 only at the entry's end). */
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

    private void awaitBriefly() throws InterruptedIOException {
        try {
            wait(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }

    private synchronized void take() {
        taken = true;
        notifyAll();
    }

    /** The loader's end: the entry's stored bytes, following the reader. */
    InputStream reader() {
        take();
        return new InputStream() {
            private FileChannel channel;
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
                if (channel == null) {
                    int n = readMemory(b, off, len);
                    if (n != 0) {
                        return n;
                    }
                    channel = FileChannel.open(file, StandardOpenOption.READ); // spilled: the rest is in the file
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
                readerClosed();
                if (channel != null) {
                    channel.close();
                }
            }
        };
    }
}
