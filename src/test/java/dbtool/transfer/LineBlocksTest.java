package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

class LineBlocksTest {

    /** COPY text data as pg_dump writes it: one line per row, then the end marker and two empty lines. */
    private static byte[] copyData(int rows, int width) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < rows; i++) {
            s.append(i).append('\t').append("x".repeat(width + i % 7)).append("\\n inside a value\n");
        }
        return s.append("\\.\n\n\n").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static List<byte[]> blocks(LineBlocks lines) throws IOException {
        List<byte[]> blocks = new ArrayList<>();
        LineBlocks.Block block = new LineBlocks.Block();
        while (lines.next(block)) {
            blocks.add(java.util.Arrays.copyOf(block.bytes, block.length));
        }
        return blocks;
    }

    private static byte[] concat(List<byte[]> blocks) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        blocks.forEach(b -> all.write(b, 0, b.length));
        return all.toByteArray();
    }

    @Test
    void blocksAreWholeLinesThatAddUpToTheData() throws IOException {
        byte[] data = copyData(20_000, 100);
        // A stream that hands out odd-sized pieces, as the archive's entries do.
        InputStream in = new ByteArrayInputStream(data) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 7_777));
            }
        };
        List<byte[]> blocks = blocks(new LineBlocks(in, false));
        assertThat(blocks).hasSizeGreaterThan(5);
        assertThat(concat(blocks)).isEqualTo(data);
        for (byte[] b : blocks) {
            assertThat(b[b.length - 1]).as("every block ends a line").isEqualTo((byte) '\n');
            assertThat(b.length).isLessThanOrEqualTo(LineBlocks.BLOCK);
        }
    }

    @Test
    void aLineLongerThanABlockIsHandedOutWhole() throws IOException {
        String longRow = "1\t" + "y".repeat(3 * LineBlocks.BLOCK) + "\n";
        byte[] data = ("0\tshort\n" + longRow + "2\tshort\n").getBytes(StandardCharsets.UTF_8);
        List<byte[]> blocks = blocks(new LineBlocks(new ByteArrayInputStream(data), false));
        assertThat(concat(blocks)).isEqualTo(data);
        assertThat(blocks).anyMatch(b -> new String(b, StandardCharsets.UTF_8).contains(longRow));
    }

    @Test
    void dataWithoutAFinalNewlineEndsWithWhatIsLeft() throws IOException {
        byte[] data = "0\ta\n1\tb".getBytes(StandardCharsets.UTF_8);
        assertThat(concat(blocks(new LineBlocks(new ByteArrayInputStream(data), false)))).isEqualTo(data);
        assertThat(blocks(new LineBlocks(new ByteArrayInputStream(new byte[0]), false))).isEmpty();
    }

    @Test
    void loadersTakingBlocksAtOnceGetEveryLineExactlyOnce() throws Exception {
        byte[] data = copyData(200_000, 40);
        LineBlocks lines = new LineBlocks(new ByteArrayInputStream(data), false);
        ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
        List<Thread> loaders = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Thread t = new Thread(() -> {
                LineBlocks.Block block = new LineBlocks.Block();
                try {
                    while (lines.next(block)) {
                        for (String line : new String(block.bytes, 0, block.length, StandardCharsets.UTF_8).split("\n", -1)) {
                            seen.add(line);
                        }
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            loaders.add(t);
            t.start();
        }
        for (Thread t : loaders) {
            t.join();
        }
        List<String> expected = new ArrayList<>(List.of(new String(data, StandardCharsets.UTF_8).split("\n")));
        expected.removeIf(String::isEmpty);
        seen.removeIf(String::isEmpty);
        assertThat(seen).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void afterCloseNoMoreBlocksAndTheStreamIsClosed() throws IOException {
        boolean[] closed = {false};
        InputStream in = new ByteArrayInputStream(copyData(10_000, 100)) {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        LineBlocks lines = new LineBlocks(in, false);
        LineBlocks.Block block = new LineBlocks.Block();
        assertThat(lines.next(block)).isTrue();
        lines.close();
        assertThat(closed[0]).isTrue();
        assertThat(lines.next(block)).isFalse();
    }
}
