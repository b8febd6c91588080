package dbtool.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.Reporter;
import dbtool.archive.Manifest;
import dbtool.verify.SideSnapshot.TableSnapshot;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The comparison logic and its text on hand-made sides; the database side is covered by DatabaseComparisonIT. */
class DatabaseComparisonTest {

    private static final List<String> COLS = List.of("id integer", "name text");

    private static TableSnapshot table(String name, long rows, String checksum) {
        return new TableSnapshot("public", name, Manifest.Table.TABLE, rows, COLS, checksum);
    }

    private static SideSnapshot side(String label, TableSnapshot... tables) {
        return new SideSnapshot(label, List.of(tables));
    }

    @Test
    void equalSidesGiveExitZeroAndTheRowSummary() {
        SideSnapshot a = side("a", table("cats", 1200, "5"), table("dogs", 34, "7"));
        SideSnapshot b = side("b", table("dogs", 34, "7"), table("cats", 1200, "5"));

        ComparisonReport report = DatabaseComparison.diff(a, b, true);

        assertThat(report.equal()).isTrue();
        assertThat(report.exitCode()).isEqualTo(ExitCode.OK);
        assertThat(report.tablesCompared()).isEqualTo(2);
        assertThat(ComparisonText.lines(report)).containsExactly("equal: 2 tables, 1,234 rows, checksums match");
        assertThat(ComparisonText.summary(DatabaseComparison.diff(a, b, false))).isEqualTo("equal: 2 tables, 1,234 rows");
    }

    @Test
    void everyKindOfDifferenceGetsOneLineInTableOrder() {
        SideSnapshot a = side("a",
                table("cats", 120, "1"),
                table("cat_lovers", 300, "10"),
                table("gone", 1, "1"),
                table("moved", 5, "1"),
                new TableSnapshot("public", "events", Manifest.Table.TABLE, 9L, COLS, "1"),
                new TableSnapshot("public", "mv", Manifest.Table.MATERIALIZED_VIEW, 4L, COLS, null));
        SideSnapshot b = side("b",
                table("cats", 121, "1"),
                table("cat_lovers", 300, "11"),
                table("new", 0, "0"),
                new TableSnapshot("public", "moved", Manifest.Table.TABLE, 5L, List.of("name text", "id integer"), "2"),
                new TableSnapshot("public", "events", Manifest.Table.PARTITIONED, null, COLS, null),
                new TableSnapshot("public", "mv", Manifest.Table.MATERIALIZED_VIEW, null, COLS, null));

        ComparisonReport report = DatabaseComparison.diff(a, b, true);

        assertThat(report.equal()).isFalse();
        assertThat(report.exitCode()).isEqualTo(ExitCode.VALIDATION);
        assertThat(report.onlyLeft()).containsExactly("public.gone");
        assertThat(report.onlyRight()).containsExactly("public.new");
        assertThat(report.differences()).extracting(TableDiff::reason).containsExactly(
                TableDiff.CONTENT, TableDiff.ROWS, TableDiff.KIND, TableDiff.COLUMNS, TableDiff.POPULATED);
        assertThat(ComparisonText.lines(report)).containsExactly(
                "public.cat_lovers: content differs (checksum) with equal row counts 300",
                "public.cats: rows 120 vs 121",
                "public.events: kind differs: table in A, partitioned table in B",
                "public.gone: only in A",
                "public.moved: columns differ (column 1: id integer vs name text), contents not checksummed;"
                        + " equal row counts 5",
                "public.mv: materialized view populated in A only",
                "public.new: only in B",
                "7 differences (3 tables, 1 materialized view on both sides compared)");
    }

    @Test
    void countOnlyModeIgnoresChecksumsAndColumns() {
        SideSnapshot a = side("a", table("cats", 3, "1"),
                new TableSnapshot("public", "moved", Manifest.Table.TABLE, 5L, COLS, null));
        SideSnapshot b = side("b", table("cats", 3, "2"),
                new TableSnapshot("public", "moved", Manifest.Table.TABLE, 5L, List.of("x int"), null));

        assertThat(DatabaseComparison.diff(a, b, false).equal()).isTrue();
    }

    @Test
    void partitionedParentsAreNotComparedThemselves() {
        TableSnapshot parent = new TableSnapshot("public", "events", Manifest.Table.PARTITIONED, null, COLS, null);
        ComparisonReport report = DatabaseComparison.diff(side("a", parent, table("events_1", 2, "1")),
                side("b", parent, table("events_1", 3, "1")), true);

        assertThat(report.tablesCompared()).isEqualTo(1);
        assertThat(ComparisonText.lines(report)).containsExactly("public.events_1: rows 2 vs 3", "1 difference (1 table on both sides compared)");
    }

    @Test
    void quotedNamesAreMatchedOnSchemaAndNameAndShownQuotedWhereNeeded() {
        TableSnapshot dotted = new TableSnapshot("a.b", "c", Manifest.Table.TABLE, 1L, COLS, "1");
        TableSnapshot other = new TableSnapshot("a", "b.c", Manifest.Table.TABLE, 1L, COLS, "1");

        ComparisonReport report = DatabaseComparison.diff(side("a", dotted), side("b", other), false);

        assertThat(report.onlyLeft()).containsExactly("\"a.b\".c");
        assertThat(report.onlyRight()).containsExactly("a.\"b.c\"");
        assertThat(new TableName("Other", "Mixed \"Case\"").display()).isEqualTo("\"Other\".\"Mixed \"\"Case\"\"\"");
    }

    @Test
    void checksumWithAManifestSideIsAUsageErrorBeforeAnythingIsRead() {
        Manifest manifest = new Manifest(Manifest.FORMAT, Manifest.FORMAT_VERSION, "0.1.0", null, null, null, null,
                null, null, null, null, "snapshot", List.of(), List.of(), List.of());
        ComparisonSide unreadable = new ComparisonSide() {
            @Override
            public String label() {
                return "db";
            }

            @Override
            public boolean supportsChecksum() {
                return true;
            }

            @Override
            public SideSnapshot read(boolean checksum, Reporter reporter) {
                throw new AssertionError("must not be read");
            }
        };

        assertThatThrownBy(() -> DatabaseComparison.compare(unreadable, new ManifestSide("x.tar.zst", manifest), true,
                        Reporter.SILENT))
                .isInstanceOfSatisfying(DbToolException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE))
                .hasMessage("--checksum needs a database on both sides, but x.tar.zst is an archive manifest with"
                        + " row counts only; drop --checksum to compare counts");
    }
}
