package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When the archive's reader writes a full entry to the work disk instead of waiting for the entry's loader. */
class StreamedLoadSpillTest {

    @Test
    void beforeTheSchemaExistsEveryFullEntrySpills() {
        assertThat(StreamedLoad.spill(false, false, 0, 3)).isTrue();
        assertThat(StreamedLoad.spill(false, true, 2, 3)).as("a loader will take it: wait").isFalse();
    }

    @Test
    void aTakenEntrySpillsOnlyWhenAFreeLoaderHasAnotherTableToCome() {
        assertThat(StreamedLoad.spill(true, true, 1, 2)).isTrue();
        assertThat(StreamedLoad.spill(true, true, 0, 2)).as("no loader free").isFalse();
        assertThat(StreamedLoad.spill(true, true, 1, 0)).as("the last table: nobody would use the free loader").isFalse();
    }

    @Test
    void aSpillFileMustLeaveRoomForTheEntriesStillToUnpackAndTheReserve() {
        long gb = 1L << 30;
        long reserve = WorkDisk.MAX_RESERVE;
        long usable = 2 * gb + 100 + reserve;
        assertThat(StreamedLoad.room(usable, gb, gb + 100, reserve)).as("exactly fits").isTrue();
        assertThat(StreamedLoad.room(usable, gb + 1, gb + 100, reserve)).as("one byte more").isFalse();
        assertThat(StreamedLoad.room(reserve + gb, gb, 0, reserve)).isTrue();
        assertThat(StreamedLoad.room(reserve + gb - 1, gb, 0, reserve)).as("the reserve stays free").isFalse();
        assertThat(StreamedLoad.room(0, 1, 0, 0)).as("free space unknown (0): no spill").isFalse();
    }

    @Test
    void theReserveIsTwoPercentOfTheDiskAtMost256MiB(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        long total = dir.toFile().getTotalSpace();
        assertThat(WorkDisk.REAL.reserve(dir)).isEqualTo(Math.min(256L << 20, total / 50)).isPositive();
    }
}
