package dbtool.archive;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import java.util.zip.ZipException;

/**
 * Decompresses a gzip file of any number of members (RFC 1952 §2.2) as one stream: what
 * {@link ParallelGzipOutputStream}, pigz and gzip write. Strict, as an archive reader must be: every member's
 * CRC-32 and length are checked, so is the header's own CRC when it has one; anything after a member that is not
 * another member is an error, and so is a file that ends inside a member (an {@link EOFException}).
 *
 * <p>Why not Commons Compress's reader: it hands the inflater 8 KB at a time and hashes through a checked stream;
 * the JDK inflater fed from a large buffer, with CRC-32 over each output run, needs about a quarter less CPU, and on
 * two cores the import's JVM competes with the server's COPY for every cycle.
 */
final class GzipMembersInputStream extends InputStream {

    static final int DEFAULT_INPUT_BUFFER = 128 << 10;

    private static final int FHCRC = 0x02;
    private static final int FEXTRA = 0x04;
    private static final int FNAME = 0x08;
    private static final int FCOMMENT = 0x10;
    private static final int RESERVED = 0xe0;

    private final InputStream in;
    private final byte[] input;
    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private final CRC32 headerCrc = new CRC32();
    /** Unread input is {@code input[position, limit)}; while a member is inflated, the inflater holds it. */
    private int position;
    private int limit;
    private long members;
    private long memberSize;
    private boolean inMember;
    private boolean ended;
    private boolean closed;

    GzipMembersInputStream(InputStream in) {
        this(in, DEFAULT_INPUT_BUFFER);
    }

    GzipMembersInputStream(InputStream in, int inputBuffer) {
        this.in = in;
        this.input = new byte[inputBuffer];
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
        if (len == 0) {
            return 0;
        }
        while (!ended) {
            if (!inMember && !startMember()) {
                ended = true;
                break;
            }
            int n;
            try {
                n = inflater.inflate(b, off, len);
            } catch (DataFormatException e) {
                throw new ZipException("invalid compressed data in gzip member " + (members) + ": " + e.getMessage());
            }
            position = limit - inflater.getRemaining();
            if (n > 0) {
                crc.update(b, off, n);
                memberSize += n;
                return n;
            }
            if (inflater.finished()) {
                endMember();
            } else if (inflater.needsDictionary()) {
                throw new ZipException("gzip member " + members + " needs a preset dictionary, which gzip has not");
            } else if (inflater.needsInput()) {
                if (!fill()) {
                    throw new EOFException("the file ends inside gzip member " + members);
                }
                inflater.setInput(input, position, limit - position);
            }
        }
        return -1;
    }

    /** Reads the next member's header; false at the end of the file after at least one member. */
    private boolean startMember() throws IOException {
        headerCrc.reset();
        int first = nextByte();
        if (first < 0) {
            if (members == 0) {
                throw new EOFException("the file is empty: no gzip member");
            }
            return false;
        }
        headerCrc.update(first);
        if (first != 0x1f || headerByte() != 0x8b) {
            throw new ZipException(members == 0 ? "not in gzip format" : "garbage after gzip member " + members);
        }
        members++;
        int method = headerByte();
        if (method != 8) {
            throw new ZipException("gzip member " + members + ": unsupported compression method " + method);
        }
        int flags = headerByte();
        if ((flags & RESERVED) != 0) {
            throw new ZipException("gzip member " + members + ": reserved header flags are set");
        }
        for (int i = 0; i < 6; i++) {
            headerByte(); // mtime, extra flags, OS: nothing to check
        }
        if ((flags & FEXTRA) != 0) {
            int length = headerByte() | headerByte() << 8;
            for (int i = 0; i < length; i++) {
                headerByte();
            }
        }
        if ((flags & FNAME) != 0) {
            while (headerByte() != 0) {
                // the original file name: skipped
            }
        }
        if ((flags & FCOMMENT) != 0) {
            while (headerByte() != 0) {
                // a comment: skipped
            }
        }
        if ((flags & FHCRC) != 0) {
            int expected = (int) headerCrc.getValue() & 0xffff;
            if ((trailerByte() | trailerByte() << 8) != expected) {
                throw new ZipException("gzip member " + members + ": header CRC does not match");
            }
        }
        inflater.reset();
        inflater.setInput(input, position, limit - position);
        crc.reset();
        memberSize = 0;
        inMember = true;
        return true;
    }

    /** Checks the member's trailer: CRC-32 and length (mod 2^32) of what it decompressed to. */
    private void endMember() throws IOException {
        long expectedCrc = trailerInt();
        long expectedSize = trailerInt();
        if (expectedCrc != crc.getValue()) {
            throw new ZipException("gzip member " + members + ": CRC-32 does not match its data");
        }
        if (expectedSize != (memberSize & 0xffffffffL)) {
            throw new ZipException("gzip member " + members + ": length " + (memberSize & 0xffffffffL)
                    + " does not match its trailer's " + expectedSize);
        }
        inMember = false;
    }

    private long trailerInt() throws IOException {
        return (trailerByte() | trailerByte() << 8 | trailerByte() << 16 | (long) trailerByte() << 24) & 0xffffffffL;
    }

    private int headerByte() throws IOException {
        int b = trailerByte();
        headerCrc.update(b);
        return b;
    }

    private int trailerByte() throws IOException {
        int b = nextByte();
        if (b < 0) {
            throw new EOFException("the file ends inside gzip member " + members + "'s " + (inMember ? "trailer" : "header"));
        }
        return b;
    }

    private int nextByte() throws IOException {
        if (position == limit && !fill()) {
            return -1;
        }
        return input[position++] & 0xff;
    }

    /** Refills the empty input buffer; false at the end of the file. */
    private boolean fill() throws IOException {
        position = 0;
        limit = 0;
        int n = in.read(input, 0, input.length);
        if (n < 0) {
            return false;
        }
        limit = n;
        return true;
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            inflater.end();
            in.close();
        }
    }
}
