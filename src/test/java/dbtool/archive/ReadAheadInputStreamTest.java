package dbtool.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The read-ahead thread must hand over every byte in order, failures included, and give the file back intact. */
class ReadAheadInputStreamTest {

    @Test
    void deliversEveryByteInOrder() throws IOException {
        byte[] data = new byte[5_000_123];
        new Random(7).nextBytes(data);
        try (ReadAheadInputStream in = new ReadAheadInputStream(new java.io.ByteArrayInputStream(data), 64 * 1024)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[10_007];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
            }
            assertThat(out.toByteArray()).isEqualTo(data);
            assertThat(in.read()).isEqualTo(-1);
        }
    }

    @Test
    void aFailureOfTheSourceReachesTheReader() {
        InputStream failing = new InputStream() {
            private int left = 100_000;

            @Override
            public int read() throws IOException {
                if (left-- <= 0) {
                    throw new IOException("disk went away");
                }
                return 1;
            }
        };
        assertThatThrownBy(() -> {
            try (ReadAheadInputStream in = new ReadAheadInputStream(failing, 4096)) {
                in.readAllBytes();
            }
        }).isInstanceOf(IOException.class).hasMessageContaining("disk went away");
    }

    /** After stop() the caller reads the rest of the file itself: the channel must still be open. */
    @Test
    void stopLeavesTheFileReadableForTheRest(@TempDir Path dir) throws IOException {
        byte[] data = new byte[3_000_000];
        new Random(3).nextBytes(data);
        Path file = Files.write(dir.resolve("data"), data);
        try (InputStream raw = Files.newInputStream(file)) {
            ReadAheadInputStream ahead = new ReadAheadInputStream(raw, 64 * 1024);
            byte[] head = ahead.readNBytes(100_000);
            ahead.stop();
            long rest = raw.transferTo(java.io.OutputStream.nullOutputStream());
            assertThat(head).isEqualTo(java.util.Arrays.copyOf(data, 100_000));
            assertThat(rest).as("the thread read some ahead; the remainder is still readable")
                    .isBetween(0L, (long) data.length - 100_000);
        }
    }
}
