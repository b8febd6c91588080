package dbtool.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dbtool.DbToolException;
import dbtool.ExitCode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** gzip inflated by igzip (when installed): as strict as the JVM's reader, and nothing outlives the stream. */
class IgzipInputStreamTest {

    private static Path igzip() {
        return IgzipOutputStreamTest.igzip();
    }

    private static byte[] data(int size, long seed) {
        return IgzipOutputStreamTest.data(size, seed);
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(data);
        }
        return out.toByteArray();
    }

    /** Three members, as export writes them: one from the JVM's zlib, one from igzip, one empty. */
    private static byte[] members(byte[] first, byte[] second) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(gzip(first));
        try (IgzipOutputStream gzip = new IgzipOutputStream(out, igzip(), 1)) {
            gzip.write(second);
        }
        out.writeBytes(gzip(new byte[0]));
        return out.toByteArray();
    }

    private static byte[] inflate(byte[] gzip) throws IOException {
        try (InputStream in = new IgzipInputStream(new ByteArrayInputStream(gzip), igzip())) {
            return in.readAllBytes();
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @AfterEach
    void nothingOutlivesTheStream() {
        assertNoIgzipLeft();
    }

    /** No igzip child process, no feeder thread. */
    static void assertNoIgzipLeft() {
        assertThat(ProcessHandle.current().descendants().map(p -> p.info().command().orElse(""))
                .filter(c -> c.endsWith("igzip")).toList()).isEmpty();
        assertThat(Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.equals("dbtool-igzip-feeder")).toList()).isEmpty();
    }

    @Test
    void membersReadBackAsOneStream() throws IOException {
        byte[] first = data(3_000_000, 1);
        byte[] second = data(700_000, 2);
        assertThat(inflate(members(first, second))).isEqualTo(concat(first, second));
    }

    @Test
    void byteByByteReadsTheSameAndEndsOnce() throws IOException {
        byte[] data = data(5_000, 3);
        try (InputStream in = new IgzipInputStream(new ByteArrayInputStream(gzip(data)), igzip())) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0) {
                out.write(b);
            }
            assertThat(out.toByteArray()).isEqualTo(data);
            assertThat(in.read()).isEqualTo(-1);
        }
    }

    /** igzip itself exits 0 and says nothing on these: the stream's own end member must catch them. */
    @ParameterizedTest
    @ValueSource(strings = {"GARBAGE", "\0\0\0\0\0\0\0\0", "\u001f", "\u001f\0", "x"})
    void garbageAfterTheLastMemberIsRefused(String garbage) throws IOException {
        byte[] archive = concat(members(data(300_000, 4), data(200_000, 5)), garbage.getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> inflate(archive)).isInstanceOf(IOException.class).isNotInstanceOf(EOFException.class);
    }

    @Test
    void muchGarbageAfterTheLastMemberIsRefusedToo() throws IOException {
        byte[] garbage = new byte[3_000_000];
        new Random(6).nextBytes(garbage);
        garbage[0] = 'G';
        byte[] archive = concat(gzip(data(100_000, 7)), garbage);
        assertThatThrownBy(() -> inflate(archive)).hasMessageContaining("garbage after the last gzip member");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 4, 8, 9, 5_000, 200_000})
    void aFileCutShortIsRefused(int cut) throws IOException {
        byte[] gzip = members(data(300_000, 8), data(300_000, 9));
        byte[] archive = Arrays.copyOf(gzip, gzip.length - cut);
        assertThatThrownBy(() -> inflate(archive)).isInstanceOf(IOException.class);
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 6, 3})
    void aDamagedTrailerIsRefused(int fromEnd) throws IOException {
        byte[] archive = gzip(data(300_000, 10));
        archive[archive.length - fromEnd] ^= 0x20;
        assertThatThrownBy(() -> inflate(archive)).hasMessageContaining("igzip exited with");
    }

    /** The verdict comes with the end of the data; a reader that dropped it (a read-ahead thread) gets it again. */
    @Test
    void theVerdictStays() throws IOException {
        byte[] archive = concat(gzip(data(10_000, 11)), "garbage".getBytes(StandardCharsets.US_ASCII));
        try (InputStream in = new IgzipInputStream(new ByteArrayInputStream(archive), igzip())) {
            assertThatThrownBy(in::readAllBytes).hasMessageContaining("garbage");
            assertThatThrownBy(in::read).hasMessageContaining("garbage");
        }
    }

    /** A bucket's lost connection is its own verdict (exit 1), not a damaged archive. */
    @Test
    void theSourcesFailureIsTheOneReported() throws IOException {
        byte[] gzip = gzip(data(2_000_000, 12));
        DbToolException lost = new DbToolException(ExitCode.RUNTIME, "connection lost");
        InputStream failing = new FilterInputStream(new ByteArrayInputStream(gzip)) {
            private int reads;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (++reads == 3) {
                    throw lost;
                }
                return super.read(b, off, Math.min(len, 10_000));
            }
        };
        try (InputStream in = new IgzipInputStream(failing, igzip())) {
            assertThatThrownBy(() -> in.transferTo(OutputStream.nullOutputStream())).isSameAs(lost);
        }
        IOException io = new IOException("disk read error");
        InputStream broken = new InputStream() {
            @Override
            public int read() throws IOException {
                throw io;
            }
        };
        try (InputStream in = new IgzipInputStream(broken, igzip())) {
            assertThatThrownBy(in::read).isSameAs(io);
        }
    }

    /** A reader that stops early (a failed target, an error) ends igzip and the feeder, and closes the source. */
    @Test
    void closingEarlyEndsTheProcessAndTheFeeder() throws IOException {
        byte[] gzip = gzip(data(20_000_000, 13));
        AtomicBoolean sourceClosed = new AtomicBoolean();
        InputStream source = new FilterInputStream(new ByteArrayInputStream(gzip)) {
            @Override
            public void close() {
                sourceClosed.set(true);
            }
        };
        InputStream in = new IgzipInputStream(source, igzip());
        assertThat(in.readNBytes(100_000)).hasSize(100_000);
        in.close();
        assertThat(sourceClosed).isTrue();
        assertNoIgzipLeft();
        assertThatThrownBy(in::read).isInstanceOf(IOException.class);
    }

    @Test
    void anIgzipThatCannotStartIsAnIoException() {
        Path missing = Path.of("/nonexistent/dbtool-test/igzip");
        assertThatThrownBy(() -> new IgzipInputStream(new ByteArrayInputStream(new byte[0]), missing))
                .isInstanceOf(IOException.class);
    }
}
