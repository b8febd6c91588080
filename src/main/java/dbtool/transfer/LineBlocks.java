package dbtool.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * A table's COPY data handed out in blocks of whole lines, to one loader or to several at once: in COPY text format
 * every row is exactly one line (a newline inside a value is written as {@code \n}), so each block is a run of whole
 * rows that any loader's own COPY of the same table accepts. Blocks are handed out in the stream's order.
 */
final class LineBlocks {

    /** What a loader sends per CopyData message; one line longer than this grows the buffer that holds it. */
    static final int BLOCK = 1 << 18;

    /** One loader's block: {@link #bytes} hold {@link #length} bytes of whole lines. */
    static final class Block {
        byte[] bytes = new byte[BLOCK];
        int length;
    }

    private final InputStream stored;
    private final boolean gzip;
    /** The stored bytes, inflated if they are gzip: opened by the first {@link #next}, where a damaged header fails. */
    private InputStream in;
    /** The start of a line the last block ended before (read, not handed out yet). */
    private byte[] carry = new byte[BLOCK];
    private int carryLength;
    private boolean ended;
    private boolean closed;

    /** @param gzip whether {@code stored} is gzip (a dump that pg_dump compressed itself: 1234.dat.gz) */
    LineBlocks(InputStream stored, boolean gzip) {
        this.stored = stored;
        this.gzip = gzip;
    }


    /**
     * Fills {@code block} with the next whole lines (the last block takes whatever is left, a line without its
     * newline included). Returns false at the end of the data.
     */
    synchronized boolean next(Block block) throws IOException {
        if (closed) {
            return false;
        }
        if (in == null) {
            in = gzip ? new GZIPInputStream(stored, BLOCK) : stored;
        }
        byte[] bytes = block.bytes;
        int n = carryLength;
        if (bytes.length < n) {
            bytes = new byte[Math.max(BLOCK, n)];
        }
        System.arraycopy(carry, 0, bytes, 0, n);
        carryLength = 0;
        int searchedTo = 0;
        while (true) {
            while (n < bytes.length && !ended) {
                int read = in.read(bytes, n, bytes.length - n);
                if (read < 0) {
                    ended = true;
                } else {
                    n += read;
                }
            }
            if (ended) {
                block.bytes = bytes;
                block.length = n;
                return n > 0;
            }
            int end = lastNewline(bytes, searchedTo, n);
            if (end >= 0) {
                carryLength = n - end - 1;
                if (carry.length < carryLength) {
                    carry = new byte[carryLength];
                }
                System.arraycopy(bytes, end + 1, carry, 0, carryLength);
                block.bytes = bytes;
                block.length = end + 1;
                return true;
            }
            searchedTo = n; // one line longer than the buffer so far: read on until it ends
            bytes = Arrays.copyOf(bytes, bytes.length * 2);
        }
    }

    /** No more blocks: closes the stream (once a loader in {@link #next} has its block). */
    synchronized void close() throws IOException {
        if (!closed) {
            closed = true;
            (in != null ? in : stored).close();
        }
    }

    private static int lastNewline(byte[] bytes, int from, int to) {
        for (int i = to - 1; i >= from; i--) {
            if (bytes[i] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
