package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.pg.PgEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** copy's source counts: every table file of a -Z0 dump counted from its COPY lines, reported by pg_dump or not. */
class DumpFileRowsTest {

    @Test
    void countsReportedAndUnreportedFilesAndLeavesOutWhatIsNotCopyData(@TempDir Path dump) throws Exception {
        Files.writeString(dump.resolve("3001.dat"), "1\ta\n2\tb\\nc\n\\.\n\n\n");
        Files.writeString(dump.resolve("3002.dat"), "\\.\n\n\n");
        Files.writeString(dump.resolve("3003.dat"), "1\n2\n"); // cut short: no end-of-data line
        Files.writeString(dump.resolve("blob_16384.dat"), "a large object\n\\.\n\n\n");
        Files.writeString(dump.resolve("toc.dat"), "toc");
        try (DumpFileRows rows = new DumpFileRows(dump)) {
            rows.onPgDumpEvent(new PgEvent.ItemFinished("pg_dump: finished item 3001 TABLE DATA t", 3001, "TABLE DATA"));
            assertThat(rows.finish()).containsExactlyInAnyOrderEntriesOf(java.util.Map.of("3001", 2L, "3002", 0L));
        }
    }
}
