package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.archive.Manifest;
import dbtool.pg.Catalog;
import dbtool.pg.PgEvent;
import dbtool.pg.TocListing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Export progress: bytes pg_dump wrote against the tables' size from the catalog. */
class DumpProgressTest {

    @TempDir
    Path dir;

    private static Catalog.Relation table(String name, long dataBytes) {
        return new Catalog.Relation(1, "public", name, Manifest.Table.TABLE, true, dataBytes * 2, "o", dataBytes);
    }

    private void write(String file, int bytes) throws IOException {
        Files.write(dir.resolve(file), new byte[bytes]);
    }

    @Test
    void writtenBytesAreTheDirectoryPlusWhatWasPackedAndNeverGoBack() throws IOException {
        DumpProgress progress = new DumpProgress(dir, List.of(table("big", 100_000), table("small", 1_000),
                new Catalog.Relation(2, "public", "mv", Manifest.Table.MATERIALIZED_VIEW, true, 5, "o", 5)), true);
        assertThat(progress.done()).isZero();
        assertThat(progress.total()).as("-Z0: about the tables' size").isEqualTo(101_000);
        assertThat(progress.detail()).isEqualTo("0 of 2 tables");

        write("7.dat", 600);
        progress.onEvent(PgEvent.parse("pg_dump: finished item 7 TABLE DATA small"));
        write("6.dat", 20_000);
        assertThat(progress.done()).isEqualTo(20_600);
        assertThat(progress.detail()).isEqualTo("1 of 2 tables");

        Files.delete(dir.resolve("7.dat")); // packed: deleted first, counted just after
        assertThat(progress.done()).as("the highest value so far").isEqualTo(20_600);
        progress.packed(600);
        assertThat(progress.done()).isEqualTo(20_600);

        progress.finish();
        assertThat(progress.total()).isEqualTo(progress.done());
        assertThat(progress.detail()).isEqualTo("2 of 2 tables");
    }

    /** --exclude-table / --schema: once the dump's toc is listed, only the tables with data in it count. */
    @Test
    void tablesLeftOutOfTheDumpAreNotCounted() {
        Catalog.Relation kept = new Catalog.Relation(16390, "public", "kept", Manifest.Table.TABLE, true, 2_000, "o", 1_000);
        Catalog.Relation excluded = new Catalog.Relation(16393, "public", "excluded", Manifest.Table.TABLE, true,
                200_000, "o", 100_000);
        TocListing toc = TocListing.parse(List.of("214; 1259 16390 TABLE public kept o",
                "3373; 0 16390 TABLE DATA public kept o"));
        DumpProgress progress = new DumpProgress(dir, List.of(kept, excluded), false, () -> toc);
        progress.onEvent(PgEvent.parse("pg_dump: dumping contents of table \"public.kept\""));
        assertThat(progress.detail()).isEqualTo("0 of 1 tables");
        assertThat(progress.total()).as("the kept table's size only").isEqualTo(1_000);
        assertThat(progress.toc()).as("listed once, for the manifest too").containsSame(toc);
        progress.finish();
        assertThat(progress.detail()).isEqualTo("1 of 1 tables");
    }

    @Test
    void smallTablesBarelyMoveTheEstimate() throws IOException {
        DumpProgress progress = new DumpProgress(dir, List.of(table("big", 1_000_000), table("small", 10_000)), true);
        assertThat(progress.total()).isEqualTo(1_010_000);
        write("7.dat", 100); // a table whose heap is mostly dead space, unlike the big one
        progress.onEvent(PgEvent.parse("pg_dump: finished item 7 TABLE DATA small"));
        assertThat(progress.total()).as("a 1%% table cannot pull the estimate to 1%%").isBetween(950_000L, 1_010_000L);
    }

    @Test
    void theTotalStaysAheadOfWhatIsWrittenUntilPgDumpEnds() throws IOException {
        DumpProgress progress = new DumpProgress(dir, List.of(table("t", 1_000)), false);
        write("5.dat", 5_000);
        progress.onEvent(PgEvent.parse("pg_dump: dumping contents of table \"public.t\""));
        assertThat(progress.done()).isEqualTo(5_000);
        assertThat(progress.total()).as("never 100%% while pg_dump runs").isGreaterThan(5_000);
    }
}
