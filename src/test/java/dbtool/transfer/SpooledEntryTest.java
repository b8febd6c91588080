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

    /** A work disk of {@code capacity} bytes for spill files: each file counts against it until it is deleted. */
    private final class SmallDisk implements SpooledEntry.SpillFiles {
        final long capacity;
        final java.util.concurrent.atomic.AtomicLong used = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicLong peak = new java.util.concurrent.atomic.AtomicLong();
        final java.util.List<Long> asked = new java.util.concurrent.CopyOnWriteArrayList<>();

        SmallDisk(long capacity) {
            this.capacity = capacity;
        }

        @Override
        public boolean room(long bytes) {
            asked.add(bytes);
            return capacity - used.get() >= bytes;
        }

        @Override
        public OutputStream create(Path file) throws IOException {
            return new java.io.FilterOutputStream(SpooledEntry.UNBOUNDED.create(file)) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                    peak.accumulateAndGet(used.addAndGet(len), Math::max);
                }
            };
        }

        /** What a loader does once its table is committed. */
        void delete(Path file) throws IOException {
            used.addAndGet(-Files.size(file));
            Files.delete(file);
        }
    }

    private static final long MB = 1 << 20;

    @Test
    void aFullEntrySpillsWhenTheDiskHasRoomForAllTheRestOfIt() throws Exception {
        Semaphore memory = new Semaphore(BUDGET);
        byte[] data = data(9 << 20);
        long rest = data.length - (long) SpooledEntry.CHUNKS_PER_ENTRY * SpooledEntry.CHUNK;
        SmallDisk disk = new SmallDisk(rest);
        SpooledEntry entry = new SpooledEntry("6", dir.resolve("6.dat"), false, memory, taken -> true, data.length, disk);
        write(entry, data).get(30, TimeUnit.SECONDS); // nobody reads yet: the writer must not wait
        assertThat(entry.spilled()).isTrue();
        assertThat(disk.asked).as("asked once, for the whole rest").containsExactly(rest);
        assertThat(Files.size(entry.file())).isEqualTo(rest);
        try (InputStream in = entry.reader()) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
    }

    @Test
    void withoutRoomForTheRestTheReaderWaitsForItsLoaderAndSpillsOnlyWhatFits() throws Exception {
        Semaphore memory = new Semaphore(BUDGET);
        byte[] data = data(40 << 20);
        SmallDisk disk = new SmallDisk(MB);
        SpooledEntry entry = new SpooledEntry("7", dir.resolve("7.dat"), false, memory, taken -> true, data.length, disk);
        CompletableFuture<Void> writing = write(entry, data);
        while (disk.asked.isEmpty()) {
            Thread.onSpinWait(); // the chunks are full and a loader would be free: the reader asks for room
        }
        assertThat(disk.asked.get(0)).isEqualTo(data.length - (long) SpooledEntry.CHUNKS_PER_ENTRY * SpooledEntry.CHUNK);
        assertThat(writing).as("36 MB do not fit into 1 MB: the reader waits").isNotDone();
        try (InputStream in = entry.reader()) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
        writing.get(30, TimeUnit.SECONDS);
        assertThat(disk.asked).as("the rest shrinks as the loader reads").isSortedAccordingTo(java.util.Comparator.reverseOrder());
        assertThat(disk.peak.get()).as("at most the last MB went to disk").isLessThanOrEqualTo(MB);
    }

    @Test
    void withNoMemoryAndNoRoomTheReaderWaitsForAnotherEntryToFreeMemory() throws Exception {
        Semaphore memory = new Semaphore(0); // other entries hold every chunk
        byte[] data = data(3 << 20);
        SmallDisk disk = new SmallDisk(0);
        SpooledEntry entry = new SpooledEntry("8", dir.resolve("8.dat"), false, memory, taken -> false, data.length, disk);
        CompletableFuture<Void> writing = write(entry, data);
        while (disk.asked.isEmpty()) {
            Thread.onSpinWait();
        }
        memory.release(BUDGET); // the other entries' loaders read their chunks
        try (InputStream in = entry.reader()) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
        writing.get(30, TimeUnit.SECONDS);
        assertThat(entry.spilled()).isFalse();
        assertThat(disk.peak.get()).isZero();
    }

    /** Three entries of 9 MB, each spilling 5 MB past its chunks, on a disk of 12 MB: never more than 12 MB on it. */
    @Test
    void entriesNeverSpillBeyondTheRoomTheDiskHas() throws Exception {
        Semaphore memory = new Semaphore(BUDGET); // chunks for two entries
        SmallDisk disk = new SmallDisk(12 * MB);
        byte[][] data = {data(9 << 20), data((9 << 20) + 1), data((9 << 20) + 2)};
        SpooledEntry[] entries = new SpooledEntry[3];
        for (int i = 0; i < 3; i++) {
            entries[i] = new SpooledEntry("e" + i, dir.resolve(i + ".dat"), false, memory, taken -> true, data[i].length,
                    disk);
        }
        CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < 3; i++) {
                write(entries[i], data[i]).join(); // one after the other, as the archive's reader does
            }
        });
        // The first two spill at once (no loader has taken them); the third finds no memory and 2 MB of room.
        while (disk.asked.size() < 3) {
            Thread.onSpinWait();
        }
        assertThat(entries[0].spilled()).isTrue();
        assertThat(entries[1].spilled()).isTrue();
        assertThat(entries[2].spilled()).as("9 MB do not fit into the 2 MB left").isFalse();
        for (int i = 0; i < 3; i++) {
            try (InputStream in = entries[i].reader()) {
                assertThat(in.readAllBytes()).isEqualTo(data[i]);
            }
            if (entries[i].spilled()) {
                disk.delete(entries[i].file());
            }
        }
        reader.get(30, TimeUnit.SECONDS);
        assertThat(disk.peak.get()).isLessThanOrEqualTo(disk.capacity).isGreaterThan(5 * MB);
    }
}
