package dbtool.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.Reporter;
import dbtool.archive.Manifest;
import dbtool.config.ConnectionSettings;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link DatabaseComparison} against real databases: two per test, A and B, built alike and then made to differ. */
class DatabaseComparisonIT {

    private TestServer server;
    private TestDatabase a;
    private TestDatabase b;

    @BeforeEach
    void createDatabases() {
        server = PgServers.defaultServer();
        a = server.createDatabase("compare_a");
        b = server.createDatabase("compare_b");
    }

    @AfterEach
    void dropDatabases() {
        a.drop();
        b.drop();
    }

    private ComparisonSide side(TestDatabase db) {
        return new DatabaseSide(ConnectionSettings.parse(db.url())
                .withCredentials(server.superuser(), server.superuserPassword()));
    }

    private ComparisonReport compare(boolean checksum) {
        return DatabaseComparison.compare(side(a), side(b), checksum, Reporter.SILENT);
    }

    private static void both(TestDatabase x, TestDatabase y, String... sql) {
        x.execute(sql);
        y.execute(sql);
    }

    @Test
    void anAddedRowIsFound() {
        both(a, b, "create table cats(id int primary key, name text)",
                "insert into cats select g, 'cat ' || g from generate_series(1, 120) g",
                "create table dogs(id int)", "insert into dogs values (1)");
        b.execute("insert into cats values (121, 'extra')");

        for (boolean checksum : new boolean[] {false, true}) {
            ComparisonReport report = compare(checksum);
            assertThat(report.equal()).isFalse();
            assertThat(report.exitCode()).isEqualTo(ExitCode.VALIDATION);
            assertThat(ComparisonText.lines(report)).containsExactly("public.cats: rows 120 vs 121", "1 difference (2 tables on both sides compared)");
        }
    }

    @Test
    void aChangedValueIsFoundByTheChecksumOnly() {
        both(a, b, "create table cat_lovers(id int, name text, cats int[])",
                "insert into cat_lovers select g, 'lover ' || g, array[g, g + 1] from generate_series(1, 300) g",
                // A column named like the checksum query's table alias: the checksum must still hash whole rows.
                "create table aliased(t int, other text)", "insert into aliased values (1, 'x'), (2, 'y')");
        b.execute("update cat_lovers set cats = array[7] where id = 150", "update aliased set other = 'z' where t = 2");

        ComparisonReport counts = compare(false);
        assertThat(counts.equal()).isTrue();
        assertThat(counts.checksummed()).isFalse();
        assertThat(ComparisonText.lines(counts)).containsExactly("equal: 2 tables, 302 rows");

        ComparisonReport checksums = compare(true);
        assertThat(checksums.checksummed()).isTrue();
        assertThat(checksums.differences()).extracting(TableDiff::table, TableDiff::reason).containsExactly(
                tuple("public.aliased", TableDiff.CONTENT),
                tuple("public.cat_lovers", TableDiff.CONTENT));
        TableDiff lovers = checksums.differences().get(1);
        assertThat(lovers.leftChecksum()).isNotNull().isNotEqualTo(lovers.rightChecksum());
        assertThat(ComparisonText.lines(checksums)).containsExactly(
                "public.aliased: content differs (checksum) with equal row counts 2",
                "public.cat_lovers: content differs (checksum) with equal row counts 300",
                "2 differences (2 tables on both sides compared)");
    }

    /** A sum of row hashes, not an XOR: with XOR each pair of equal rows cancels out, leaving 'c' on both sides. */
    @Test
    void duplicatedRowsAreCountedInTheChecksum() {
        a.execute("create table tags(tag text)", "insert into tags values ('a'), ('a'), ('c')");
        b.execute("create table tags(tag text)", "insert into tags values ('b'), ('b'), ('c')");

        assertThat(compare(false).equal()).isTrue();
        assertThat(ComparisonText.lines(compare(true)))
                .containsExactly("public.tags: content differs (checksum) with equal row counts 3", "1 difference (1 table on both sides compared)");
    }

    @Test
    void tablesMissingOnEitherSideAreListed() {
        both(a, b, "create table shared(id int)");
        a.execute("create table only_a(id int)");
        b.execute("create schema extra", "create table extra.\"Only B\"(id int)");

        for (boolean checksum : new boolean[] {false, true}) {
            ComparisonReport report = compare(checksum);
            assertThat(report.onlyLeft()).containsExactly("public.only_a");
            assertThat(report.onlyRight()).containsExactly("extra.\"Only B\"");
            assertThat(report.differences()).isEmpty();
            assertThat(report.tablesCompared()).isEqualTo(1);
            assertThat(report.exitCode()).isEqualTo(ExitCode.VALIDATION);
            assertThat(ComparisonText.lines(report)).containsExactly(
                    "extra.\"Only B\": only in B", "public.only_a: only in A", "2 differences (1 table on both sides compared)");
        }
    }

    /**
     * Same data, written in another order, read by sessions with other time zones, date and float
     * settings: the text of every row must still hash the same, and jsonb must not depend on key order.
     */
    @Test
    void equalDatabasesAreEqualInBothModes() {
        both(a, b, "create schema \"Other Schema\"",
                "create table \"Other Schema\".\"Mixed Case\"(\"Id\" int, \"Value\" text)",
                "create table kinds(id int, n numeric, f float8, r real, ts timestamptz, d date, i interval,"
                        + " b bytea, m money, tags text[], doc jsonb, nothing text)",
                "create table empty(id int)");
        a.execute("alter database " + a.name() + " set timezone = 'America/New_York'",
                "alter database " + a.name() + " set datestyle = 'SQL, DMY'",
                "alter database " + a.name() + " set intervalstyle = 'iso_8601'",
                "alter database " + a.name() + " set extra_float_digits = 0",
                "alter database " + a.name() + " set bytea_output = 'escape'");
        b.execute("alter database " + b.name() + " set timezone = 'Asia/Tokyo'");
        String[] rows = {
            "insert into kinds values (1, 1.50, 0.1, 0.1, '2024-02-29 23:30:00+00', '2024-01-31', '1 day 2 hours',"
                    + " '\\x00ff', 12.34, '{a,NULL,\"b c\"}', '{\"x\": 1, \"y\": [true, null]}', null)",
            "insert into kinds values (2, null, 1e300, null, null, null, null, null, null, '{}', 'null', null)",
            "insert into kinds values (3, -0.000001, 'NaN', '-Infinity', '-infinity', 'infinity', '-3 mons', '',"
                    + " 0, null, '{\"k\": \"v\"}', '')"};
        a.execute(rows);
        b.execute(rows[2], rows[0], rows[1]);
        a.execute("update kinds set doc = '{\"y\": [true, null], \"x\": 1}' where id = 1");
        both(a, b, "insert into \"Other Schema\".\"Mixed Case\" values (1, 'one'), (2, null), (null, 'three')",
                "create materialized view kind_ids as select id from kinds");

        for (boolean checksum : new boolean[] {false, true}) {
            ComparisonReport report = compare(checksum);
            assertThat(report.differences()).isEmpty();
            assertThat(report.onlyLeft()).isEmpty();
            assertThat(report.onlyRight()).isEmpty();
            assertThat(report.equal()).isTrue();
            assertThat(report.exitCode()).isEqualTo(ExitCode.OK);
            assertThat(report.tablesCompared()).isEqualTo(3);
            assertThat(report.materializedViewsCompared()).isEqualTo(1);
            // "tables" and rows as export and import count them: the materialized view's rows are compared, not summed.
            assertThat(ComparisonText.lines(report)).containsExactly(
                    "equal: 3 tables (+ 1 materialized view), 6 rows" + (checksum ? ", checksums match" : ""));
        }
    }

    @Test
    void columnsInAnotherOrderAreReportedAndCountedOnly() {
        a.execute("create table pets(id int, name text)", "insert into pets values (1, 'a')");
        b.execute("create table pets(name text, id int)", "insert into pets values ('a', 1), ('b', 2)");

        assertThat(ComparisonText.lines(compare(true))).containsExactly(
                "public.pets: columns differ (column 1: \"id\" integer vs \"name\" text), contents not checksummed;"
                        + " rows 1 vs 2",
                "1 difference (1 table on both sides compared)");
    }

    @Test
    void aDatabaseIsComparedWithAManifestByCounts() {
        a.execute("create table cats(id int)", "insert into cats select generate_series(1, 5)",
                "create table dogs(id int)", "insert into dogs values (1), (2)",
                "create table events(at date) partition by range (at)",
                "create table events_2024 partition of events for values from ('2024-01-01') to ('2025-01-01')",
                "insert into events values ('2024-05-01')");
        List<Manifest.Table> tables = new ArrayList<>(List.of(
                new Manifest.Table("public", "cats", Manifest.Table.TABLE, 5L, 8192, null),
                new Manifest.Table("public", "dogs", Manifest.Table.TABLE, 2L, 8192, null),
                new Manifest.Table("public", "events", Manifest.Table.PARTITIONED, null, 0, null),
                new Manifest.Table("public", "events_2024", Manifest.Table.TABLE, 1L, 8192, null)));
        ComparisonSide equalManifest = new ManifestSide("equal.tar.zst", manifest(tables));

        ComparisonReport equal = DatabaseComparison.compare(side(a), equalManifest, false, Reporter.SILENT);
        assertThat(ComparisonText.lines(equal)).containsExactly("equal: 3 tables, 8 rows");
        assertThat(equal.right()).isEqualTo("equal.tar.zst");

        tables.set(1, new Manifest.Table("public", "dogs", Manifest.Table.TABLE, 3L, 8192, null));
        tables.add(new Manifest.Table("public", "birds", Manifest.Table.TABLE, 0L, 0, null));
        ComparisonSide otherManifest = new ManifestSide("other.tar.zst", manifest(tables));
        ComparisonReport differs = DatabaseComparison.compare(otherManifest, side(a), false, Reporter.SILENT);
        assertThat(ComparisonText.lines(differs)).containsExactly(
                "public.birds: only in A", "public.dogs: rows 3 vs 2", "2 differences (3 tables on both sides compared)");

        assertThatThrownBy(() -> DatabaseComparison.compare(side(a), otherManifest, true, Reporter.SILENT))
                .isInstanceOfSatisfying(DbToolException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE))
                .hasMessageContaining("--checksum needs a database on both sides");
    }

    @Test
    void aPartitionedTableIsComparedViaItsPartitions() {
        both(a, b, "create table events(at date, what text) partition by range (at)",
                "create table events_2023 partition of events for values from ('2023-01-01') to ('2024-01-01')",
                "create table events_2024 partition of events for values from ('2024-01-01') to ('2025-01-01')",
                "insert into events values ('2023-03-01', 'a'), ('2024-03-01', 'b'), ('2024-04-01', 'c')");
        // Same total, but one row moved to the other partition, and another changed in place.
        b.execute("update events set at = '2023-04-01' where what = 'b'", "update events set what = 'C' where what = 'c'");

        ComparisonReport counts = compare(false);
        assertThat(counts.tablesCompared()).as("partitions, not the parent").isEqualTo(2);
        assertThat(ComparisonText.lines(counts)).containsExactly(
                "public.events_2023: rows 1 vs 2", "public.events_2024: rows 2 vs 1", "2 differences (2 tables on both sides compared)");

        b.execute("update events set at = '2024-03-01' where what = 'b'");
        assertThat(ComparisonText.lines(compare(false))).containsExactly("equal: 2 tables, 3 rows");
        assertThat(ComparisonText.lines(compare(true))).containsExactly(
                "public.events_2024: content differs (checksum) with equal row counts 2", "1 difference (2 tables on both sides compared)");
    }

    /**
     * Rows committed while side A is being read must not show up in later tables of A: everything of
     * a side comes from one snapshot. The reporter's progress step, called after each table, commits
     * rows into a table that is read after it (relations are read in name order); B holds what A
     * held before those writes.
     */
    @Test
    void eachSideIsReadFromOneSnapshot() {
        for (boolean checksum : new boolean[] {false, true}) {
            both(a, b, "drop table if exists a_first, b_second", "create table a_first(id int)",
                    "create table b_second(id int)", "insert into b_second values (1)");

            ComparisonReport report = DatabaseComparison.compare(side(a), side(b), checksum, writingInto(a));

            assertThat(a.queryLong("select count(*) from b_second")).as("the writes did happen").isEqualTo(3);
            assertThat(ComparisonText.lines(report))
                    .containsExactly("equal: 2 tables, 1 row" + (checksum ? ", checksums match" : ""));
        }
    }

    /** On its first progress step, commits rows into both tables of {@code db}. */
    private static Reporter writingInto(TestDatabase db) {
        return new Reporter() {
            private boolean written;

            @Override
            public void info(String message) {}

            @Override
            public void warn(String message) {}

            @Override
            public void detail(String message) {}

            @Override
            public void progressStep(long delta) {
                if (!written) {
                    written = true;
                    db.execute("insert into b_second values (2), (3)", "insert into a_first values (1)");
                }
            }
        };
    }

    /** An archive side is only as good as the archive: a damaged one is unusable (exit 4), never "equal". */
    @Test
    void aTruncatedOrCorruptArchiveIsExitFourNotEqual(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        a.execute("create table cats(id int primary key, name text)",
                "insert into cats select g, md5(g::text) from generate_series(1, 20000) g");
        String url = dbtool.testing.CliUrls.superuser(a);
        dbtool.testing.CliRun export = dbtool.testing.CliRun.of("export", "--url", url, "--output", dir.toString(), "-q");
        assertThat(export.exitCode()).as(export.toString()).isZero();
        java.nio.file.Path archive = java.nio.file.Path.of(export.lastLine());
        assertThat(dbtool.testing.CliRun.of("compare", "--archive", archive.toString(), "--url", url).exitCode()).isZero();

        byte[] bytes = java.nio.file.Files.readAllBytes(archive);
        java.nio.file.Path truncated = dir.resolve("truncated.tar.gz");
        java.nio.file.Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 2000));
        java.nio.file.Path corrupt = dir.resolve("corrupt.tar.gz");
        byte[] flipped = bytes.clone();
        flipped[bytes.length / 2] ^= 0x55;
        java.nio.file.Files.write(corrupt, flipped);
        java.nio.file.Path corruptWithSidecar = dir.resolve(archive.getFileName());
        java.nio.file.Files.write(archive, flipped);
        for (java.nio.file.Path damaged : List.of(truncated, corrupt, corruptWithSidecar)) {
            dbtool.testing.CliRun run = dbtool.testing.CliRun.of("compare", "--archive", damaged.toString(), "--url", url);
            assertThat(run.exitCode()).as(damaged + "\n" + run).isEqualTo(4);
            assertThat(run.out()).doesNotContain("equal");
        }
    }

    private static Manifest manifest(List<Manifest.Table> tables) {
        return new Manifest(Manifest.FORMAT, Manifest.FORMAT_VERSION, "0.1.0", "2024-01-01T00:00:00Z", "test", null,
                "15.13", "15.13", "directory", "zstd", "none", "snapshot", List.copyOf(tables), List.of(), List.of());
    }
}
