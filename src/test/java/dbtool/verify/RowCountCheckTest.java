package dbtool.verify;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.archive.Manifest;
import dbtool.config.ConnectionSettings;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** When every table was counted on the way in (a streamed import's COPY replies), the check needs no server. */
class RowCountCheckTest {

    /** Nothing listens on port 1: any connection attempt fails the check. */
    private static final ConnectionSettings NO_SERVER = new ConnectionSettings("127.0.0.1", 1, "none", "nobody", null);

    @Test
    void countsTakenOnTheWayInAreComparedWithoutAConnection() {
        Manifest manifest = manifest(List.of(table("t1", 3), table("t2", 5)));

        RowCountCheck.Outcome outcome = RowCountCheck.run(NO_SERVER, manifest, 2, Map.of("public.t1", 3L, "public.t2", 4L));

        assertThat(outcome.tablesChecked()).isEqualTo(2);
        assertThat(outcome.rowsChecked()).isEqualTo(7);
        assertThat(outcome.mismatches()).extracting(RowCountCheck.Mismatch::describe)
                .containsExactly("public.t2: expected 5 rows, found 4");
    }

    @Test
    void aTableNotCountedYetStillNeedsTheServer() {
        Manifest manifest = manifest(List.of(table("t1", 3), table("t2", 5)));

        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> RowCountCheck.run(NO_SERVER, manifest, 2, Map.of("public.t1", 3L)))
                .isInstanceOf(dbtool.DbToolException.class);
    }

    private static Manifest manifest(List<Manifest.Table> tables) {
        return new Manifest(Manifest.FORMAT, 1, "test", "2026-11-26T00:00:00Z", "p",
                new Manifest.Source("h", 5432, "d", "u"), "15.0", "15.0", "directory", "gzip", "gzip:1", "snapshot",
                tables, List.of(), List.of());
    }

    private static Manifest.Table table(String name, long rows) {
        return new Manifest.Table("public", name, Manifest.Table.TABLE, rows, 8192, null);
    }
}
