package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.pg.PgEvent;
import dbtool.pg.TocListing;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.io.TempDir;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Import progress from pg_restore -v's own lines (as pg_restore 15 prints them). */
class RestoreProgressTest {

    private static final TocListing TOC = TocListing.parse(List.of(
            "214; 1259 16390 TABLE public a postgres",
            "3373; 0 16390 TABLE DATA public a postgres",
            "3374; 0 16393 TABLE DATA public b postgres",
            "3228; 2606 16397 CONSTRAINT public a a_pkey postgres",
            "3229; 1259 16399 INDEX public b_idx postgres",
            "3376; 0 16402 MATERIALIZED VIEW DATA public mv postgres"));

    @TempDir
    Path dump;

    /** 3373 inflates to 9000 bytes (gzip), 3374 is 1000 bytes of plain COPY data. */
    private Path dump() throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dump.resolve("3373.dat.gz")))) {
            out.write(new byte[9000]);
        }
        Files.write(dump.resolve("3374.dat"), new byte[1000]);
        return dump;
    }

    private static void feed(RestoreProgress progress, AtomicInteger phases, String... lines) {
        for (String line : lines) {
            progress.onEvent(PgEvent.parse(line), phases::incrementAndGet);
        }
    }

    @Test
    void parallelRestoreCountsFinishedTablesAndTheirBytesThenBuildsIndexes() throws IOException {
        RestoreProgress progress = RestoreProgress.of(TOC, dump(), true, null);
        AtomicInteger phases = new AtomicInteger();
        feed(progress, phases, "pg_restore: launching item 3374 TABLE DATA b",
                "pg_restore: processing data for table \"public.b\"", "pg_restore: finished item 3374 TABLE DATA b");
        assertThat(progress.loading().done()).isEqualTo(1000);
        assertThat(progress.loading().total()).isEqualTo(10_000);
        assertThat(progress.loading().detail()).isEqualTo("1 of 2 tables");
        assertThat(progress.loading().steady()).as("without the server's COPY progress: no ETA").isFalse();
        assertThat(phases).as("not before every table is loaded").hasValue(0);

        feed(progress, phases, "pg_restore: finished item 3373 TABLE DATA a",
                "pg_restore: finished item 3228 CONSTRAINT a a_pkey");
        assertThat(progress.loading().detail()).isEqualTo("2 of 2 tables");
        assertThat(phases).as("once").hasValue(1);
        assertThat(progress.building().done()).isEqualTo(1);
        assertThat(progress.building().total()).isEqualTo(3);

        progress.finish();
        assertThat(progress.building().done()).isEqualTo(3);
    }

    @Test
    void singleJobRestoreCountsATableDoneWhenTheNextStepStarts() throws IOException {
        RestoreProgress progress = RestoreProgress.of(TOC, dump(), false, null);
        AtomicInteger phases = new AtomicInteger();
        feed(progress, phases, "pg_restore: processing data for table \"public.a\"");
        assertThat(progress.loading().detail()).isEqualTo("0 of 2 tables");
        feed(progress, phases, "pg_restore: processing data for table \"public.b\"");
        assertThat(progress.loading().done()).as("a's bytes").isEqualTo(9000);
        feed(progress, phases, "pg_restore: creating CONSTRAINT \"public.a a_pkey\"");
        assertThat(progress.loading().done()).isEqualTo(10_000);
        assertThat(phases).hasValue(1);
        feed(progress, phases, "pg_restore: creating INDEX \"public.b_idx\"");
        assertThat(progress.building().done()).isEqualTo(1);
    }
}
