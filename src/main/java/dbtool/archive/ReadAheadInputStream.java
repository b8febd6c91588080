package dbtool.archive;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Reads its source on a thread of its own, a few buffers ahead of the reader. Reading an archive is
 * two halves of similar cost (read, hash and decompress the file; parse, hash and write its entries);
 * this lets them run on two cores instead of one after the other. Memory stays at a few buffers.
 */
final class ReadAheadInputStream extends InputStream {

    private static final int BUFFERS = 4;

    /** A filled buffer, the end of the source, or the failure that ended it. */
    private record Chunk(byte[] data, int length, IOException failure) {}

    private static final Chunk END = new Chunk(new byte[0], -1, null);

    private final InputStream source;
    private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(BUFFERS);
    private final BlockingQueue<Chunk> filled = new ArrayBlockingQueue<>(BUFFERS + 1);
    private final Thread producer;
    private volatile boolean stopped;
    private Chunk current;
    private int position;
    private boolean ended;

    ReadAheadInputStream(InputStream source, int bufferSize) {
        this.source = source;
        for (int i = 0; i < BUFFERS; i++) {
            free.add(new byte[bufferSize]);
        }
        producer = new Thread(this::produce, "dbtool-read-ahead");
        producer.setDaemon(true);
        producer.start();
    }

    /**
     * Never interrupted: an interrupt during a read would close the file's channel under the caller,
     * who still reads the rest of it after {@link #stop()}. So the thread polls and checks a flag.
     */
    private void produce() {
        try {
            while (!stopped) {
                byte[] buffer = free.poll(50, TimeUnit.MILLISECONDS);
                if (buffer == null || stopped) {
                    continue;
                }
                int n = source.readNBytes(buffer, 0, buffer.length);
                Chunk chunk = n == 0 ? END : new Chunk(buffer, n, null);
                while (!stopped && !filled.offer(chunk, 50, TimeUnit.MILLISECONDS)) {
                    // the reader is busy; wait for room
                }
                if (chunk == END) {
                    return;
                }
            }
        } catch (IOException e) {
            filled.offer(new Chunk(new byte[0], -1, e));
        } catch (RuntimeException e) {
            filled.offer(new Chunk(new byte[0], -1, new IOException(e.getMessage(), e)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
        if (len == 0) {
            return 0;
        }
        if (ended) {
            return -1;
        }
        if (current == null || position == current.length()) {
            if (current != null) {
                free.add(current.data());
            }
            try {
                current = filled.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while reading the archive");
            }
            position = 0;
            if (current.failure() != null) {
                ended = true;
                if (current.failure().getCause() instanceof dbtool.DbToolException known) {
                    throw known; // the source's own verdict (a lost connection to a bucket is exit 1, not a damaged archive)
                }
                throw current.failure();
            }
            if (current == END) {
                ended = true;
                return -1;
            }
        }
        int n = Math.min(len, current.length() - position);
        System.arraycopy(current.data(), position, b, off, n);
        position += n;
        return n;
    }

    /**
     * Stops reading ahead and waits for the thread, so that the caller may read the underlying
     * stream again (for what follows the data it wanted). Does not close the source.
     */
    void stop() {
        stopped = true;
        try {
            producer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
    }
}
