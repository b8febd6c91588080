package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.archive.Manifest;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImporterSizesTest {

    /** The disk-full message must never read "needs 0 MiB but has 0 MiB free". */
    @Test
    void smallAmountsKeepTheirSize() {
        assertThat(Importer.readable(0)).isEqualTo("0 bytes");
        assertThat(Importer.readable(900)).isEqualTo("900 bytes");
        assertThat(Importer.readable(300 * 1024)).isEqualTo("300.0 KiB");
        assertThat(Importer.readable(5L << 30)).isEqualTo("5.0 GiB");
    }

    private static Manifest withFiles(Manifest.FileEntry... files) {
        return new Manifest("dbtool-archive", 1, "test", "2026-12-02T00:00:00Z", null, null, "15.0", "15.0", "directory",
                "gzip", "none", "exact", List.of(), List.of(), List.of(files));
    }

    /** Two 100 GB tables: the stream hands them to COPY, so only the toc and the reserve (here 1000 bytes) must fit up front. */
    @Test
    void aStreamedImportOfBigTablesNeedsRoomForTheTocAndTheReserveOnly() {
        long gb = 1L << 30;
        Manifest manifest = withFiles(new Manifest.FileEntry("dump/3456.dat", 100 * gb),
                new Manifest.FileEntry("dump/3457.dat.gz", 100 * gb), new Manifest.FileEntry("dump/toc.dat", 5000));
        assertThat(Importer.streamedNeed(manifest, 1000)).isEqualTo(5000 + 1000);
    }

    @Test
    void aStreamedImportNeedsRoomForTheLargeObjectsItUnpacks() {
        Manifest manifest = withFiles(new Manifest.FileEntry("dump/3456.dat", 1L << 40),
                new Manifest.FileEntry("dump/blob_16384.dat", 7000), new Manifest.FileEntry("dump/blobs.toc", 30),
                new Manifest.FileEntry("dump/toc.dat", 5000));
        assertThat(Importer.streamedNeed(manifest, 1000)).isEqualTo(7000 + 30 + 5000 + 1000);
    }

    @Test
    void aStreamedImportNeverNeedsMoreThanTheWholeDump() {
        Manifest small = withFiles(new Manifest.FileEntry("dump/3456.dat", 4000), new Manifest.FileEntry("dump/toc.dat", 5000));
        assertThat(Importer.streamedNeed(small, 256L << 20)).as("a 9 KB dump on a disk with 10 KB free").isEqualTo(9000);
    }
}
