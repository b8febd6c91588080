package dbtool.transfer;

import java.io.OutputStream;
import java.util.OptionalLong;

/**
 * Counts the rows of one pg_dump data file while its bytes go by. pg_dump writes a table's data in
 * COPY text format: one line per row (a newline inside a value is written as the two characters
 * {@code \n}), and after the last row the line {@code \.} and two empty lines. So the rows of the
 * table in the dump's snapshot are the file's newlines minus those three, and nothing has to scan
 * the table a second time.
 *
 * <p>The count is only given when the file ends exactly like that; anything else (a file pg_dump did
 * not write in COPY format, a truncated one, a newer pg_dump that ends its files differently) gives
 * no count, and the caller counts that table in the snapshot instead.
 */
final class CopyDataRows extends OutputStream {

    /** The end of every COPY data file pg_dump writes: the end-of-data line, then two empty lines. */
    private static final byte[] END = {'\\', '.', '\n', '\n', '\n'};

    private long newlines;
    private long length;
    /** The last END.length + 1 bytes: the terminator and the byte before it. */
    private final byte[] tail = new byte[END.length + 1];

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        newlines += newlines(b, off, len);
        length += len;
        int keep = Math.min(len, tail.length);
        System.arraycopy(tail, keep, tail, 0, tail.length - keep);
        System.arraycopy(b, off + len - keep, tail, tail.length - keep, keep);
    }

    /**
     * Eight bytes at a time: a byte of {@code x} is zero exactly where the word had a newline, and the
     * classic exact zero-byte test sets the high bit of just those bytes. About three times faster than
     * a byte loop, which matters because every byte of the dump goes through here.
     */
    static long newlines(byte[] b, int off, int len) {
        long found = 0;
        int i = off;
        for (int end = off + len - 7; i < end; i += 8) {
            long x = (long) WORDS.get(b, i) ^ NEWLINES;
            long y = ~(((x & LOW7) + LOW7) | x | LOW7);
            found += Long.bitCount(y);
        }
        for (int end = off + len; i < end; i++) {
            if (b[i] == '\n') {
                found++;
            }
        }
        return found;
    }

    private static final java.lang.invoke.VarHandle WORDS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final long NEWLINES = 0x0A0A0A0A0A0A0A0AL;
    private static final long LOW7 = 0x7F7F7F7F7F7F7F7FL;

    /** The rows, when the bytes were one complete COPY data file; empty otherwise. */
    OptionalLong rows() {
        if (length < END.length) {
            return OptionalLong.empty();
        }
        for (int i = 0; i < END.length; i++) {
            if (tail[1 + i] != END[i]) {
                return OptionalLong.empty();
            }
        }
        // "\." must be a line of its own: the file's first line, or after the last row's newline.
        if (length > END.length && tail[0] != '\n') {
            return OptionalLong.empty();
        }
        return OptionalLong.of(newlines - 3);
    }
}
