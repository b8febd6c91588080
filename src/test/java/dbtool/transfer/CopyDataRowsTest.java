package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Rows counted from pg_dump's COPY data files, and no count for anything else. */
class CopyDataRowsTest {

    /** What pg_dump writes for the values 'x' || newline || 'y', '\.', NULL, '\' and '' (checked with pg_dump 15). */
    private static final String FIVE_ROWS = "x\\ny\n\\\\.\n\\N\n\\\\\n\n\\.\n\n\n";

    @Test
    void rowsAreTheLinesBeforeTheEndOfDataLine() {
        assertThat(count(FIVE_ROWS, 1 << 20)).hasValue(5);
        assertThat(count("1\t2\n\\.\n\n\n", 1 << 20)).hasValue(1);
        assertThat(count("\\.\n\n\n", 1 << 20)).hasValue(0);
    }

    @Test
    void theCountDoesNotDependOnHowTheBytesArriveInChunks() {
        for (int chunk = 1; chunk <= 9; chunk++) {
            assertThat(count(FIVE_ROWS, chunk)).as("chunks of %d", chunk).hasValue(5);
        }
    }

    @Test
    void anythingButWholeCopyDataGivesNoCount() {
        assertThat(count("", 4)).isEmpty();
        assertThat(count("1\n2\n", 4)).isEmpty();                  // truncated: no end-of-data line
        assertThat(count("1\n2\n\\.\n\n", 4)).isEmpty();           // one empty line short
        assertThat(count("1\n2\\.\n\n\n", 4)).isEmpty();           // "\." is not a line of its own
        assertThat(count("INSERT INTO t VALUES (1);\n", 4)).isEmpty();
    }

    @Test
    void everyNewlineIsFoundWhateverTheBytesAroundIt() {
        java.util.Random random = new java.util.Random(11);
        for (int round = 0; round < 200; round++) {
            byte[] bytes = new byte[random.nextInt(100)];
            random.nextBytes(bytes);
            for (int i = 0; i < bytes.length; i++) {
                if (random.nextInt(4) == 0) {
                    bytes[i] = '\n';
                } else if (random.nextInt(3) == 0) {
                    bytes[i] = (byte) (random.nextBoolean() ? 0x8A : 0x0B); // one bit away from a newline
                }
            }
            int off = bytes.length == 0 ? 0 : random.nextInt(bytes.length);
            int len = bytes.length - off;
            long expected = 0;
            for (int i = off; i < off + len; i++) {
                expected += bytes[i] == '\n' ? 1 : 0;
            }
            assertThat(CopyDataRows.newlines(bytes, off, len)).isEqualTo(expected);
        }
    }

    private static OptionalLong count(String data, int chunk) {
        CopyDataRows rows = new CopyDataRows();
        write(rows, data.getBytes(StandardCharsets.UTF_8), chunk);
        return rows.rows();
    }

    private static void write(java.io.OutputStream out, byte[] bytes, int chunk) {
        try {
            for (int off = 0; off < bytes.length; off += chunk) {
                out.write(bytes, off, Math.min(chunk, bytes.length - off));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
