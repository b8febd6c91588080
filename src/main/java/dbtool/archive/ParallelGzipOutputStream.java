package dbtool.archive;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * gzip on several threads, as pigz does: the stream is cut into blocks, each block is deflated on a small pool
 * and written, in order, as a gzip member of its own. Concatenated members are one valid gzip stream
 * (RFC 1952 §2.2): {@code gzip -d}, {@code tar xzf} and Commons Compress with decompressConcatenated read them as
 * one. Independent members cost a little size against one continuous stream (each block starts with an empty
 * dictionary: ~0.1% at 1 MiB blocks) and let every block be deflated at the same time.
 *
 * <p>Memory is bounded: at most {@code 2 × threads} blocks are queued or being deflated, plus the one being
 * filled; each holds its input and its deflated output (about twice the block size). The caller's thread
 * writes the finished members to the target, so a target that fails fails the caller's next write, flush or
 * close; closing (or {@link #abort}) always ends the pool's threads.
 *
 * <p>Not thread-safe: one thread writes (the pool is internal).
 */
public final class ParallelGzipOutputStream extends GzipMembersOutputStream {

    /** Big enough that the fresh dictionary of every member costs little size, small enough to keep memory low. */
    public static final int DEFAULT_BLOCK = 1 << 20;

    private static final int TRAILER = 8;

    private final int level;
    private final byte[] header;
    private final int maxPending;
    private final ExecutorService pool;
    private final List<Thread> workers = new CopyOnWriteArrayList<>();
    private final Deque<Future<Block>> pending = new ArrayDeque<>();
    private final Deque<Block> free = new ArrayDeque<>();
    private final int blockSize;
    private Block current;

    /**
     * @param out the target; closed by {@link #close}
     * @param threads deflating threads (at least 1)
     * @param level zlib level, 0 (store) to 9
     */
    public ParallelGzipOutputStream(OutputStream out, int threads, int level) {
        this(out, threads, level, DEFAULT_BLOCK);
    }

    ParallelGzipOutputStream(OutputStream out, int threads, int level, int blockSize) {
        super(out);
        if (threads < 1 || level < 0 || level > 9 || blockSize < 1) {
            throw new IllegalArgumentException("threads " + threads + ", level " + level + ", block " + blockSize);
        }
        this.level = level;
        this.blockSize = blockSize;
        this.header = header(level);
        this.maxPending = 2 * threads;
        AtomicInteger thread = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "dbtool-gzip-" + thread.incrementAndGet());
            t.setDaemon(true);
            workers.add(t);
            return t;
        });
        this.current = new Block(blockSize);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        ensureOpen();
        while (len > 0) {
            int n = Math.min(len, current.input.length - current.length);
            System.arraycopy(b, off, current.input, current.length, n);
            current.length += n;
            off += n;
            len -= n;
            if (current.length == current.input.length) {
                submitCurrent();
            }
        }
    }

    /**
     * Writes every member deflated or being deflated to the target and flushes it. The block being filled stays
     * (as with GZIPOutputStream without sync flush): a flush must not cut the stream into small members.
     */
    @Override
    public void flush() throws IOException {
        ensureOpen();
        while (!pending.isEmpty()) {
            writeOldest();
        }
        try {
            out.flush();
        } catch (IOException | RuntimeException e) {
            abort();
            throw e;
        }
    }

    /** Ends the block being filled as a member of its own and writes every member so far. */
    @Override
    void endMembers() throws IOException {
        if (current.length > 0) {
            submitCurrent();
        }
        while (!pending.isEmpty()) {
            writeOldest();
        }
    }

    /** Blocks not yet written are dropped, and the pool's threads end before this returns. */
    @Override
    void stopCompressing() {
        pending.forEach(f -> f.cancel(true));
        pending.clear();
        pool.shutdownNow();
        boolean interrupted = false;
        while (true) {
            try {
                if (pool.awaitTermination(1, TimeUnit.MINUTES)) {
                    // The pool counts as terminated a moment before its threads have run off their last line.
                    for (Thread worker : workers) {
                        worker.join();
                    }
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void submitCurrent() throws IOException {
        if (pending.size() >= maxPending) {
            writeOldest();
        }
        Block block = current;
        pending.add(pool.submit(() -> deflate(block)));
        memberWritten();
        current = free.isEmpty() ? new Block(blockSize) : free.poll();
    }

    private void writeOldest() throws IOException {
        Block block;
        try {
            block = pending.peek().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort();
            throw new InterruptedIOException("interrupted while compressing");
        } catch (ExecutionException | CancellationException e) {
            abort();
            throw new IOException("compressing failed: " + e.getCause(), e.getCause());
        }
        pending.poll();
        try {
            out.write(block.output, 0, block.outputLength);
        } catch (IOException | RuntimeException e) {
            abort();
            throw e;
        }
        block.length = 0;
        free.add(block);
    }

    /** One gzip member of the block's bytes: header, raw deflate, CRC-32 and length. Runs on the pool. */
    private Block deflate(Block block) {
        System.arraycopy(header, 0, block.output, 0, header.length);
        int at = header.length;
        Deflater deflater = new Deflater(level, true);
        try {
            deflater.setInput(block.input, 0, block.length);
            deflater.finish();
            while (!deflater.finished()) {
                if (block.output.length - at < TRAILER + 64) {
                    block.output = Arrays.copyOf(block.output, block.output.length * 2);
                }
                at += deflater.deflate(block.output, at, block.output.length - at - TRAILER);
            }
        } finally {
            deflater.end();
        }
        CRC32 crc = new CRC32();
        crc.update(block.input, 0, block.length);
        littleEndian(block.output, at, (int) crc.getValue());
        littleEndian(block.output, at + 4, block.length); // ISIZE: the input's length mod 2^32
        block.outputLength = at + TRAILER;
        return block;
    }

    /** RFC 1952 header: deflate, no name, no mtime (the archive's content carries the times), OS unknown. */
    private static byte[] header(int level) {
        byte extraFlags = (byte) (level == 9 ? 2 : level == 1 ? 4 : 0);
        return new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, extraFlags, (byte) 255};
    }

    private static void littleEndian(byte[] b, int at, int value) {
        b[at] = (byte) value;
        b[at + 1] = (byte) (value >>> 8);
        b[at + 2] = (byte) (value >>> 16);
        b[at + 3] = (byte) (value >>> 24);
    }

    /** A block's input and, once deflated, its member. Reused: the caller's thread owns it except while deflating. */
    private static final class Block {
        final byte[] input;
        int length;
        /** Room for the header, the block stored (deflate's worst case adds 5 bytes per 16 KiB) and the trailer. */
        byte[] output;
        int outputLength;

        Block(int size) {
            this.input = new byte[size];
            this.output = new byte[size + size / 1000 + 1024];
        }
    }
}
