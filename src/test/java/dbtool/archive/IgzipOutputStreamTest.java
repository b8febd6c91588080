package dbtool.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/** gzip made by igzip (when installed), and the fallback to zlib in this JVM when it is not. */
class IgzipOutputStreamTest {

    static Path igzip() {
        Optional<Path> igzip = Igzip.find();
        assumeTrue(igzip.isPresent(), "igzip (Debian package isal) is not installed");
        return igzip.get();
    }

    static byte[] data(int size, long seed) {
        Random random = new Random(seed);
        ByteArrayOutputStream out = new ByteArrayOutputStream(size + 200);
        long row = 0;
        while (out.size() < size) {
            out.writeBytes((row++ + "\t" + Long.toHexString(random.nextLong()) + "\tclick\n")
                    .getBytes(StandardCharsets.US_ASCII));
        }
        return java.util.Arrays.copyOf(out.toByteArray(), size);
    }

    private static byte[] members(byte[] gzip) throws IOException {
        try (InputStream in = new GzipMembersInputStream(new ByteArrayInputStream(gzip))) {
            return in.readAllBytes();
        }
    }

    @Test
    void writtenAndAppendedMembersReadBackAsOneStream() throws IOException {
        Path igzip = igzip();
        byte[] first = data(3_000_000, 1);
        byte[] appended = data(200_000, 2);
        byte[] last = data(500_000, 3);
        ByteArrayOutputStream elsewhere = new ByteArrayOutputStream();
        try (IgzipOutputStream gzip = new IgzipOutputStream(elsewhere, igzip, 1)) {
            gzip.write(appended);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (IgzipOutputStream gzip = new IgzipOutputStream(out, igzip, 1)) {
            gzip.write(first, 0, 1_000_000);
            gzip.flush();
            gzip.write(first, 1_000_000, first.length - 1_000_000);
            gzip.appendMembers(new ByteArrayInputStream(elsewhere.toByteArray()));
            gzip.write(last);
        }
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(first);
        expected.writeBytes(appended);
        expected.writeBytes(last);
        assertThat(members(out.toByteArray())).isEqualTo(expected.toByteArray());
        try (InputStream jdk = new GZIPInputStream(new ByteArrayInputStream(out.toByteArray()))) {
            assertThat(jdk.readAllBytes()).isEqualTo(expected.toByteArray());
        }
        assertThat(out.size()).isLessThan(expected.size() / 2);
    }

    @Test
    void anEmptyStreamIsOneEmptyMember() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new IgzipOutputStream(out, igzip(), 1).close();
        assertThat(members(out.toByteArray())).isEmpty();
        try (InputStream jdk = new GZIPInputStream(new ByteArrayInputStream(out.toByteArray()))) {
            assertThat(jdk.readAllBytes()).isEmpty();
        }
    }

    @Test
    void aFailingTargetFailsTheWriterInsteadOfHangingIt() {
        Path igzip = igzip();
        OutputStream failing = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("disk full");
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                throw new IOException("disk full");
            }
        };
        byte[] input = data(8_000_000, 4);
        assertThatThrownBy(() -> {
            try (IgzipOutputStream gzip = new IgzipOutputStream(failing, igzip, 1)) {
                for (int at = 0; at < input.length; at += 65536) {
                    gzip.write(input, at, Math.min(65536, input.length - at));
                }
            }
        }).isInstanceOf(IOException.class);
    }

    @Test
    void abortWritesNothingMore() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        IgzipOutputStream gzip = new IgzipOutputStream(out, igzip(), 1);
        gzip.write(data(100_000, 5));
        gzip.abort();
        int size = out.size();
        assertThatThrownBy(() -> gzip.write(1)).isInstanceOf(IOException.class);
        gzip.close();
        assertThat(out.size()).isEqualTo(size);
    }

    @Test
    void withoutIgzipZlibMakesTheMembers() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] input = data(300_000, 6);
        try (GzipMembersOutputStream gzip = GzipMembersOutputStream.open(out, 2, 1, Optional.empty())) {
            assertThat(gzip).isInstanceOf(ParallelGzipOutputStream.class);
            gzip.write(input);
        }
        assertThat(members(out.toByteArray())).isEqualTo(input);
    }

    @Test
    void anIgzipThatCannotStartFallsBackToZlib() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] input = data(300_000, 7);
        Path missing = Path.of("/nonexistent/dbtool-test/igzip");
        try (GzipMembersOutputStream gzip = GzipMembersOutputStream.open(out, 2, 1, Optional.of(missing))) {
            assertThat(gzip).isInstanceOf(ParallelGzipOutputStream.class);
            gzip.write(input);
        }
        assertThat(members(out.toByteArray())).isEqualTo(input);
    }
}
