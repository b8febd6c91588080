package dbtool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.archive.Manifest;
import dbtool.archive.ManifestJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TableCountsTest {

    /** Export, inspect and import say "tables" for what has rows; the rest is named apart, never added in. */
    @Test
    void tablesAreTheOnesWithRowsAndOtherKindsAreListedApart() throws IOException {
        Manifest manifest = ManifestJson.read(Files.readAllBytes(Path.of("src/test/resources/golden/manifest.json")),
                "golden");
        long withRows = manifest.tables().stream().filter(Manifest.Table::validated).count();
        assertThat(manifest.tableCount()).isEqualTo(withRows).isLessThan(manifest.tables().size());
        assertThat(TableCounts.describe(manifest)).isEqualTo(withRows + " table" + (withRows == 1 ? "" : "s")
                + " (+ 1 materialized view, 1 partitioned table)");
    }

    /** "imported …: 1 table, 300 rows" (import and copy printed "1 tables"). */
    @Test
    void oneTableIsSingular() {
        assertThat(TableCounts.plural(1, "table")).isEqualTo("1 table");
        assertThat(TableCounts.plural(0, "table")).isEqualTo("0 tables");
        assertThat(TableCounts.plural(2, "table")).isEqualTo("2 tables");
    }
}
