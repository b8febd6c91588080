package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An entry reaches its loader byte for byte whichever way it goes (memory, file, or memory then file), the heap holds
 * no more than the shared chunks, and a loader that stops reading never leaves the archive's reader stuck.
 */
class SpooledEntryTest {

    private static final int BUDGET = 2 * SpooledEntry.CHUNKS_PER_ENTRY;

    @TempDir
    Path dir;

    private static byte[] data(int size) {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        return data;
    }

    /** Writes {@code data} in 1 MB pieces (the archive reader's buffer) on a thread of its own. */
    private static CompletableFuture<Void> write(SpooledEntry entry, byte[] data) {
        OutputStream out = entry.writer();
        return CompletableFuture.runAsync(() -> {
            try (out) {
                for (int off = 0; off < data.length; off += 1 << 20) {
                    out.write(data, off, Math.min(1 << 20, data.length - off));
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, r -> new Thread(r, "test-writer").start());
    }

    @Test
    void anEntryTheLoaderKeepsUpWithNeverTouchesTheDisk() throws Exception {
        Semaphore memory = new Semaphore(BUDGET);
        SpooledEntry entry = new SpooledEntry("1", dir.resolve("1.dat"), false, memory, taken -> false);
        byte[] data = data(40 << 20); // far more than the chunks hold: the writer waits for the loader
        CompletableFuture<Void> writing = write(entry, data);
        try (InputStream in = entry.reader()) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
        writing.get(30, TimeUnit.SECONDS);
        assertThat(entry.spilled()).isFalse();
        assertThat(Files.exists(entry.file())).isFalse();
        assertThat(memory.availablePermits()).as("every chunk given back").isEqualTo(BUDGET);
    }

    @Test
    void aFullEntrySpillsToItsFileWhenAnotherLoaderIsFreeAndArrivesWhole() throws Exception {
        Semaphore memory = new Semaphore(BUDGET);
        SpooledEntry entry = new SpooledEntry("2", dir.resolve("2.dat"), false, memory, taken -> true);
        byte[] data = data(9 << 20);
        write(entry, data).get(30, TimeUnit.SECONDS); // nobody reads yet: the writer must not wait
        assertThat(entry.spilled()).isTrue();
        assertThat(Files.size(entry.file())).as("what the chunks could not hold")
                .isEqualTo(data.length - (long) SpooledEntry.CHUNKS_PER_ENTRY * SpooledEntry.CHUNK);
        assertThat(memory.availablePermits()).isEqualTo(BUDGET - SpooledEntry.CHUNKS_PER_ENTRY);
        try (InputStream in = entry.reader()) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
        assertThat(memory.availablePermits()).isEqualTo(BUDGET);
    }

    @Test
    void withNoMemoryLeftAnEntryGoesThroughItsFileFromTheStart() throws Exception {
        Semaphore memory = new Semaphore(0);
        SpooledEntry entry = new SpooledEntry("3", dir.resolve("3.dat"), false, memory, taken -> false);
        byte[] data = data(3 << 20);
        write(entry, data).get(30, TimeUnit.SECONDS);
        assertThat(Files.size(entry.file())).isEqualTo(data.length);
        try (InputStream in = entry.reader()) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
    }

    @Test
    void aLoaderThatStopsReadingLetsTheReaderFinishTheEntry() throws Exception {
        Semaphore memory = new Semaphore(BUDGET);
        SpooledEntry entry = new SpooledEntry("4", dir.resolve("4.dat"), false, memory, taken -> false);
        byte[] data = data(20 << 20);
        CompletableFuture<Void> writing = write(entry, data);
        try (InputStream in = entry.reader()) {
            assertThat(in.readNBytes(1000)).isEqualTo(java.util.Arrays.copyOf(data, 1000)); // then COPY fails
        }
        writing.get(30, TimeUnit.SECONDS); // the archive's reader goes on to hash the rest
        assertThat(memory.availablePermits()).isEqualTo(BUDGET);
    }

    @Test
    void abandoningStopsTheWriterThatWaitsForItsLoader() {
        Semaphore memory = new Semaphore(BUDGET);
        SpooledEntry entry = new SpooledEntry("5", dir.resolve("5.dat"), false, memory, taken -> false);
        CompletableFuture<Void> writing = write(entry, data(20 << 20));
        entry.abandon();
        assertThatThrownBy(() -> writing.get(30, TimeUnit.SECONDS)).hasRootCauseInstanceOf(java.io.InterruptedIOException.class);
        assertThat(memory.availablePermits()).isEqualTo(BUDGET);
    }
}
