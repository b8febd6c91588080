package dbtool.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The archive reader's gzip: members one after the other as one stream, and every kind of damage refused. */
class GzipMembersInputStreamTest {

    private static final int FHCRC = 0x02;
    private static final int FEXTRA = 0x04;
    private static final int FNAME = 0x08;
    private static final int FCOMMENT = 0x10;

    private static byte[] text(int size, long seed) {
        Random random = new Random(seed);
        StringBuilder out = new StringBuilder(size + 100);
        for (long row = 0; out.length() < size; row++) {
            out.append(row).append('\t').append(Long.toHexString(random.nextLong())).append("\tclick\n");
        }
        return Arrays.copyOf(out.toString().getBytes(StandardCharsets.US_ASCII), size);
    }

    /** One member, written by hand so that every header field can be set. */
    private static byte[] member(byte[] data, int flags) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, (byte) flags, 1, 2, 3, 4, 0, 3});
        if ((flags & FEXTRA) != 0) {
            out.writeBytes(new byte[] {5, 0, 'A', 'B', 1, 0, 9});
        }
        if ((flags & FNAME) != 0) {
            out.writeBytes("events.dat\0".getBytes(StandardCharsets.US_ASCII));
        }
        if ((flags & FCOMMENT) != 0) {
            out.writeBytes("a comment\0".getBytes(StandardCharsets.US_ASCII));
        }
        if ((flags & FHCRC) != 0) {
            CRC32 headerCrc = new CRC32();
            headerCrc.update(out.toByteArray());
            int crc16 = (int) headerCrc.getValue() & 0xffff;
            out.write(crc16);
            out.write(crc16 >>> 8);
        }
        Deflater deflater = new Deflater(6, true);
        deflater.setInput(data);
        deflater.finish();
        byte[] buffer = new byte[8192];
        while (!deflater.finished()) {
            out.write(buffer, 0, deflater.deflate(buffer));
        }
        deflater.end();
        CRC32 crc = new CRC32();
        crc.update(data);
        writeInt(out, crc.getValue());
        writeInt(out, data.length);
        return out.toByteArray();
    }

    private static void writeInt(ByteArrayOutputStream out, long value) {
        for (int i = 0; i < 4; i++) {
            out.write((int) (value >>> (8 * i)));
        }
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static byte[] read(byte[] gzip, int inputBuffer) throws IOException {
        try (InputStream in = new GzipMembersInputStream(new ByteArrayInputStream(gzip), inputBuffer)) {
            return in.readAllBytes();
        }
    }

    private static byte[] read(byte[] gzip) throws IOException {
        return read(gzip, GzipMembersInputStream.DEFAULT_INPUT_BUFFER);
    }

    /** Input buffers of 1 and 7 bytes put every header, trailer and member boundary across a refill. */
    @ParameterizedTest
    @ValueSource(ints = {1, 7, 4096, GzipMembersInputStream.DEFAULT_INPUT_BUFFER})
    void readsConcatenatedMembersAsOneStream(int inputBuffer) throws IOException {
        byte[] a = text(100_000, 1);
        byte[] b = text(3_000, 2);
        byte[] c = text(70_000, 3);
        assertThat(read(concat(member(a, 0), member(b, 0), member(c, 0)), inputBuffer)).isEqualTo(concat(a, b, c));
    }

    @Test
    void readsWhatParallelGzipWrites() throws IOException {
        byte[] data = text(1_000_000, 4);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ParallelGzipOutputStream gzip = new ParallelGzipOutputStream(out, 2, 1, 64 * 1024)) {
            gzip.write(data);
        }
        assertThat(read(out.toByteArray())).isEqualTo(data);
    }

    @Test
    void readsWhatTheJdkAndCommonsCompressWrite() throws IOException {
        byte[] data = text(50_000, 5);
        ByteArrayOutputStream jdk = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(jdk)) {
            gzip.write(data);
        }
        ByteArrayOutputStream commons = new ByteArrayOutputStream();
        GzipParameters parameters = new GzipParameters();
        parameters.setFileName("dump.tar");
        parameters.setComment("written by a test");
        try (GzipCompressorOutputStream gzip = new GzipCompressorOutputStream(commons, parameters)) {
            gzip.write(data);
        }
        assertThat(read(concat(jdk.toByteArray(), commons.toByteArray()))).isEqualTo(concat(data, data));
    }

    @Test
    void emptyMembersAnywhereAddNothing() throws IOException {
        byte[] empty = member(new byte[0], 0);
        byte[] a = text(10_000, 6);
        assertThat(read(empty)).isEmpty();
        assertThat(read(concat(empty, member(a, 0), empty, empty, member(a, 0), empty), 3)).isEqualTo(concat(a, a));
    }

    @ParameterizedTest
    @ValueSource(ints = {FEXTRA, FNAME, FCOMMENT, FHCRC, FEXTRA | FNAME | FCOMMENT | FHCRC, 0x01})
    void skipsEveryOptionalHeaderField(int flags) throws IOException {
        byte[] a = text(20_000, 7);
        assertThat(read(concat(member(a, flags), member(a, flags)), 5)).isEqualTo(concat(a, a));
    }

    @Test
    void refusesAHeaderWhoseOwnCrcIsWrong() {
        byte[] gzip = member(text(1_000, 8), FNAME | FHCRC);
        int crcAt = 10 + "events.dat\0".length();
        gzip[crcAt] ^= 1;
        assertThatThrownBy(() -> read(gzip)).isInstanceOf(ZipException.class).hasMessageContaining("header CRC");
    }

    @Test
    void refusesReservedFlagsAndOtherMethods() {
        byte[] reserved = member(text(1_000, 9), 0x20);
        assertThatThrownBy(() -> read(reserved)).isInstanceOf(ZipException.class).hasMessageContaining("reserved");
        byte[] method = member(text(1_000, 9), 0);
        method[2] = 7;
        assertThatThrownBy(() -> read(method)).isInstanceOf(ZipException.class).hasMessageContaining("method 7");
    }

    @Test
    void refusesABadCrcInAnyMember() {
        byte[] a = text(30_000, 10);
        for (int which = 0; which < 3; which++) {
            byte[][] members = {member(a, 0), member(a, 0), member(a, 0)};
            members[which][members[which].length - 8] ^= 0x40;
            byte[] gzip = concat(members);
            assertThatThrownBy(() -> read(gzip)).isInstanceOf(ZipException.class)
                    .isNotInstanceOf(EOFException.class).hasMessageContaining("CRC-32")
                    .hasMessageContaining("member " + (which + 1));
        }
    }

    @Test
    void refusesABadLength() {
        byte[] gzip = concat(member(text(30_000, 11), 0), member(new byte[0], 0));
        gzip[gzip.length - 1] = 1; // the empty last member claims 2^24 bytes
        assertThatThrownBy(() -> read(gzip)).isInstanceOf(ZipException.class).hasMessageContaining("length 0");
        byte[] other = member(text(30_000, 11), 0);
        other[other.length - 4] ^= 1;
        assertThatThrownBy(() -> read(other)).isInstanceOf(ZipException.class).hasMessageContaining("length 30000");
    }

    @Test
    void refusesDamagedCompressedData() {
        byte[] gzip = member(text(30_000, 12), 0);
        Arrays.fill(gzip, 20, 60, (byte) 0xff);
        assertThatThrownBy(() -> read(gzip)).isInstanceOf(IOException.class).isNotInstanceOf(EOFException.class);
    }

    /**
     * Cut anywhere but exactly between two members (which gzip cannot tell from the end: tar's end blocks and
     * SHA256SUMS do), the file ends too early: in a header (flags make it long), in the data or in a trailer.
     */
    @Test
    void refusesATruncationAtEveryByte() throws IOException {
        byte[] first = member(text(5_000, 13), FEXTRA | FNAME | FCOMMENT | FHCRC);
        byte[] second = member(text(4_000, 14), FNAME);
        byte[] gzip = concat(first, second);
        List<Integer> accepted = new ArrayList<>();
        for (int length = 0; length < gzip.length; length++) {
            byte[] cut = Arrays.copyOf(gzip, length);
            try {
                read(cut, 64);
                accepted.add(length);
            } catch (EOFException expected) {
                // the file ends too early
            }
        }
        assertThat(accepted).containsExactly(first.length);
    }

    @Test
    void refusesAnythingAfterAMember() {
        byte[] a = member(text(10_000, 15), 0);
        for (byte[] tail : List.of(new byte[] {0}, new byte[512], "x".getBytes(StandardCharsets.US_ASCII),
                new byte[] {0x1f, 0x00, 0x08})) {
            byte[] gzip = concat(a, tail);
            assertThatThrownBy(() -> read(gzip)).isInstanceOf(ZipException.class).hasMessageContaining("garbage");
        }
    }

    @Test
    void refusesWhatIsNotGzip() {
        assertThatThrownBy(() -> read("PGDMP".getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOf(ZipException.class).hasMessageContaining("not in gzip format");
        assertThatThrownBy(() -> read(new byte[0])).isInstanceOf(EOFException.class);
    }

    @Test
    void endsOnceAndReadsByteByByte() throws IOException {
        byte[] a = text(300, 16);
        try (InputStream in = new GzipMembersInputStream(new ByteArrayInputStream(concat(member(a, 0), member(a, 0))), 16)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int b; (b = in.read()) >= 0; ) {
                out.write(b);
            }
            assertThat(out.toByteArray()).isEqualTo(concat(a, a));
            assertThat(in.read()).isEqualTo(-1);
            assertThat(in.read(new byte[10], 0, 10)).isEqualTo(-1);
        }
    }
}
