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
}
