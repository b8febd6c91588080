package dbtool.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.Test;

/** gzip on several threads: independent members, in order, that every gzip reader reads as one stream. */
class ParallelGzipOutputStreamTest {

    private static final int BLOCK = 64 * 1024;

    /** COPY-like text with some randomness, so that members differ and compress. */
    private static byte[] data(int size, long seed) {
        Random random = new Random(seed);
        ByteArrayOutputStream out = new ByteArrayOutputStream(size + 200);
        long row = 0;
        while (out.size() < size) {
            String line = row++ + "\t" + Long.toHexString(random.nextLong()) + "\tclick\t" + random.nextInt(10_000) + "\n";
            out.writeBytes(line.getBytes(StandardCharsets.US_ASCII));
        }
        byte[] all = out.toByteArray();
        return java.util.Arrays.copyOf(all, size);
    }

    private static byte[] compress(byte[] input, int threads, int chunk) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ParallelGzipOutputStream gzip = new ParallelGzipOutputStream(out, threads, 1, BLOCK)) {
            for (int at = 0; at < input.length; at += chunk) {
                gzip.write(input, at, Math.min(chunk, input.length - at));
            }
        }
        return out.toByteArray();
    }

    private static byte[] commonsCompress(byte[] gzip) throws IOException {
        try (InputStream in = GzipCompressorInputStream.builder().setInputStream(new ByteArrayInputStream(gzip))
                .setDecompressConcatenated(true).get()) {
            return in.readAllBytes();
        }
    }

    private static byte[] jdk(byte[] gzip) throws IOException {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
            return in.readAllBytes();
        }
    }

    private static int members(byte[] gzip) throws IOException {
        int count = 0;
        ByteArrayInputStream in = new ByteArrayInputStream(gzip);
        while (in.available() > 0) {
            try (InputStream member = GzipCompressorInputStream.builder().setInputStream(in)
                    .setDecompressConcatenated(false).get()) {
                member.transferTo(OutputStream.nullOutputStream());
            }
            count++;
        }
        return count;
    }

    private static long gzipThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("dbtool-gzip-") && t.isAlive()).count();
    }

    @Test
    void readsBackAsOneStreamWithCommonsCompressAndTheJdk() throws IOException {
        byte[] input = data(10 * BLOCK + 12_345, 1);
        byte[] gzip = compress(input, 3, 7_777); // writes that straddle block boundaries
        assertThat(commonsCompress(gzip)).isEqualTo(input);
        assertThat(jdk(gzip)).isEqualTo(input);
        assertThat(members(gzip)).as("one member per block").isEqualTo(11);
        assertThat(gzip.length).as("it compresses").isLessThan(input.length * 3 / 4);
    }

    @Test
    void blocksStayInOrderWhateverThreadFinishesFirst() throws IOException {
        // Blocks that take very different times to deflate (random bytes against zeros), on more threads than
        // blocks in flight would need: the members must still come out in the order the bytes went in.
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        Random random = new Random(7);
        for (int block = 0; block < 40; block++) {
            byte[] part = new byte[BLOCK];
            if (block % 3 == 0) {
                random.nextBytes(part);
            } else {
                java.util.Arrays.fill(part, (byte) block);
            }
            expected.writeBytes(part);
        }
        byte[] input = expected.toByteArray();
        byte[] gzip = compress(input, 4, BLOCK);
        assertThat(commonsCompress(gzip)).isEqualTo(input);
        assertThat(jdk(gzip)).isEqualTo(input);
    }

    @Test
    void anEmptyStreamIsOneEmptyMember() throws IOException {
        byte[] gzip = compress(new byte[0], 2, 1);
        assertThat(members(gzip)).isEqualTo(1);
        assertThat(jdk(gzip)).isEmpty();
    }

    @Test
    void systemGzipReadsIt() throws Exception {
        byte[] input = data(5 * BLOCK + 1, 3);
        byte[] gzip = compress(input, 2, 1000);
        Process gunzip = new ProcessBuilder("gzip", "-dc").start();
        Thread feeder = new Thread(() -> {
            try (OutputStream in = gunzip.getOutputStream()) {
                in.write(gzip);
            } catch (IOException ignored) {
                // gzip died: its exit status says so
            }
        });
        feeder.start();
        byte[] output = gunzip.getInputStream().readAllBytes();
        feeder.join();
        assertThat(gunzip.waitFor()).isZero();
        assertThat(output).isEqualTo(input);
    }

    @Test
    void aFailingTargetFailsTheWriterAndLeavesNoThreadBehind() {
        OutputStream broken = new OutputStream() {
            private long written;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                written += len;
                if (written > 3 * BLOCK / 4) {
                    throw new IOException("No space left on device");
                }
            }
        };
        long before = gzipThreads();
        byte[] input = new Random(5).ints(0, 256).limit(20L * BLOCK).collect(ByteArrayOutputStream::new,
                (out, b) -> out.write(b), (a, b) -> a.writeBytes(b.toByteArray())).toByteArray(); // incompressible
        ParallelGzipOutputStream gzip = new ParallelGzipOutputStream(broken, 2, 1, BLOCK);
        assertThatThrownBy(() -> {
            try (gzip) {
                gzip.write(input);
            }
        }).isInstanceOf(IOException.class).hasMessage("No space left on device");
        assertThat(gzipThreads()).as("every deflating thread has ended").isEqualTo(before);
        assertThatThrownBy(() -> gzip.write(1)).isInstanceOf(IOException.class);
    }

    @Test
    void abortEndsTheThreadsAndWritesNothingMore() throws IOException {
        long before = gzipThreads();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ParallelGzipOutputStream gzip = new ParallelGzipOutputStream(out, 2, 1, BLOCK);
        gzip.write(data(3 * BLOCK + 10, 9));
        int written = out.size();
        gzip.abort();
        assertThat(gzipThreads()).isEqualTo(before);
        assertThat(out.size()).isEqualTo(written);
        gzip.close(); // after abort: nothing happens
        assertThat(out.size()).isEqualTo(written);
    }

    @Test
    void aSlowTargetHoldsTheWriterBackAfterAFewBlocks() throws Exception {
        // Memory stays bounded: with the target stuck, the writer may run ahead by the blocks in flight
        // (2 x threads) and the one it fills, never more.
        int threads = 2;
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        OutputStream stuck = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) throws IOException {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException();
                }
                sink.write(b, off, len);
            }
        };
        byte[] input = data(30 * BLOCK, 11);
        AtomicLong accepted = new AtomicLong();
        Thread writer = new Thread(() -> {
            try (ParallelGzipOutputStream gzip = new ParallelGzipOutputStream(stuck, threads, 1, BLOCK)) {
                for (int at = 0; at < input.length; at += BLOCK) {
                    gzip.write(input, at, BLOCK);
                    accepted.addAndGet(BLOCK);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        writer.start();
        assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
        // The writer is now inside the target's write, so it accepts nothing more until released.
        assertThat(accepted.get()).isLessThanOrEqualTo((2L * threads + 1) * BLOCK);
        release.countDown();
        writer.join();
        assertThat(accepted.get()).isEqualTo(input.length);
        assertThat(jdk(sink.toByteArray())).isEqualTo(input);
    }
}
