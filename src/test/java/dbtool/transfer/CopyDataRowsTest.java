package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/** Rows counted from pg_dump's COPY data files, plain and gzipped, and no count for anything else. */
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
    void gzippedFilesAreCountedWhileTheyGoBy() throws IOException {
        byte[] gz = gzip(FIVE_ROWS.repeat(1).getBytes(StandardCharsets.UTF_8));
        for (int chunk : new int[] {1, 3, 11, 1 << 20}) {
            CopyDataRows rows = new CopyDataRows();
            try (GunzippingOutputStream gunzip = new GunzippingOutputStream(rows)) {
                write(gunzip, gz, chunk);
                assertThat(gunzip.complete()).isTrue();
            }
            assertThat(rows.rows()).as("chunks of %d", chunk).hasValue(5);
        }
    }

    @Test
    void manyRowsInTwoGzipMembersAreAllCounted() throws IOException {
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < 100_000; i++) {
            first.append(i).append("\tsome text with a \\n newline escape\n");
        }
        ByteArrayOutputStream both = new ByteArrayOutputStream();
        both.write(gzip(first.toString().getBytes(StandardCharsets.UTF_8)));
        both.write(gzip("last\n\\.\n\n\n".getBytes(StandardCharsets.UTF_8)));
        CopyDataRows rows = new CopyDataRows();
        try (GunzippingOutputStream gunzip = new GunzippingOutputStream(rows)) {
            write(gunzip, both.toByteArray(), 65_536);
            assertThat(gunzip.complete()).isTrue();
        }
        assertThat(rows.rows()).hasValue(100_001);
    }

    @Test
    void damagedOrTruncatedGzipIsNotComplete() throws IOException {
        byte[] gz = gzip(FIVE_ROWS.getBytes(StandardCharsets.UTF_8));
        try (GunzippingOutputStream truncated = new GunzippingOutputStream(new CopyDataRows())) {
            truncated.write(gz, 0, gz.length - 3);
            assertThat(truncated.complete()).isFalse();
        }
        try (GunzippingOutputStream notGzip = new GunzippingOutputStream(new CopyDataRows())) {
            notGzip.write(FIVE_ROWS.getBytes(StandardCharsets.UTF_8));
            assertThat(notGzip.complete()).isFalse();
        }
        byte[] damaged = gz.clone();
        damaged[12] ^= 0x55;
        CopyDataRows rows = new CopyDataRows();
        try (GunzippingOutputStream gunzip = new GunzippingOutputStream(rows)) {
            gunzip.write(damaged);
            assertThat(gunzip.complete() && rows.rows().equals(OptionalLong.of(5))).isFalse();
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

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }
}
