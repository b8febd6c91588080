package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.archive.Manifest;
import dbtool.pg.PgEvent;
import dbtool.pg.TocListing;
import java.util.List;
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

    private static Manifest manifest() {
        return new Manifest(Manifest.FORMAT, Manifest.FIRST_FORMAT_VERSION, "dev", "2026-12-01T00:00:00Z", null,
                new Manifest.Source("h", 5432, "d", "u"), "15.0", "15.0", "directory", "gzip", "gzip:1", "snapshot",
                List.of(), List.of(), List.of(new Manifest.FileEntry("dump/3373.dat.gz", 9000),
                        new Manifest.FileEntry("dump/3374.dat.gz", 1000), new Manifest.FileEntry("dump/toc.dat", 50)),
                null, null, null);
    }

    private static void feed(RestoreProgress progress, AtomicInteger phases, String... lines) {
        for (String line : lines) {
            progress.onEvent(PgEvent.parse(line), phases::incrementAndGet);
        }
    }

    @Test
    void parallelRestoreCountsFinishedTablesAndTheirBytesThenBuildsIndexes() {
        RestoreProgress progress = RestoreProgress.of(TOC, manifest(), true);
        AtomicInteger phases = new AtomicInteger();
        feed(progress, phases, "pg_restore: launching item 3374 TABLE DATA b",
                "pg_restore: processing data for table \"public.b\"", "pg_restore: finished item 3374 TABLE DATA b");
        assertThat(progress.loading().done()).isEqualTo(1000);
        assertThat(progress.loading().total()).isEqualTo(10_000);
        assertThat(progress.loading().detail()).isEqualTo("1 of 2 tables");
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
    void singleJobRestoreCountsATableDoneWhenTheNextStepStarts() {
        RestoreProgress progress = RestoreProgress.of(TOC, manifest(), false);
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
