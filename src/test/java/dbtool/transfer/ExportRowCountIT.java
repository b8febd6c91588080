package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.archive.ArchiveReader;
import dbtool.archive.Manifest;
import dbtool.testing.CliRun;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestServer;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The manifest's row counts are read from the (uncompressed) data files pg_dump writes, not from a second
 * scan; they must equal count(*) for every table, whatever the values hold, for every codec and job count,
 * and the archive's checksums must match.
 */
class ExportRowCountIT {

    private static final TestServer SERVER = PgServers.defaultServer();
    private static TestDatabase source;

    @BeforeAll
    static void createSource() {
        source = SERVER.createDatabase("rowcount");
        source.execute(
                // Values that look like line ends or the end-of-data line once written as COPY text.
                "create table tricky (id int, v text, b bytea)",
                "insert into tricky values (1, E'two\\nlines', E'\\\\x0a0d'), (2, E'\\\\.', null), (3, E'\\\\', E'\\\\x5c2e0a'),"
                        + " (4, '', ''), (5, null, null), (6, E'cr\\rlf\\r\\n', null), (7, E'\\n\\\\.\\n', null),"
                        + " (8, E'tab\\there', null), (9, 'Zoë ✓', null)",
                "insert into tricky select 100 + g, repeat(E'line\\n', g % 5), null from generate_series(1, 20000) g",
                "create table empty_one (id int)",
                // ~30 MB of COPY text: with gzip and --jobs 2 its file is deflated while pg_dump still writes it.
                "create table big (id int, a text, b text)",
                "insert into big select g, md5(g::text), md5((-g)::text) from generate_series(1, 400000) g",
                "create table wide (id bigint primary key, doc jsonb, arr text[])",
                "insert into wide select g, jsonb_build_object('k', E'a\\nb', 'n', g), array[E'x\\ny', null] from generate_series(1, 30000) g",
                "create table measurements (at date not null, v int) partition by range (at)",
                "create table measurements_2024 partition of measurements for values from ('2024-01-01') to ('2025-01-01')",
                "create table measurements_2025 partition of measurements for values from ('2025-01-01') to ('2026-01-01')",
                "insert into measurements select date '2024-01-01' + g % 300, g from generate_series(1, 7000) g",
                // Plain inheritance: the parent's COPY holds only its own rows, like count(*) from only.
                "create table parent (id int)",
                "create table child () inherits (parent)",
                "insert into parent values (1), (2)",
                "insert into child select g from generate_series(1, 50) g",
                // Two tables whose TOC entries read the same ("a b c postgres"): counted in the snapshot.
                "create schema \"a b\"",
                "create schema a",
                "create table \"a b\".c (x int)",
                "create table a.\"b c\" (x int)",
                "insert into \"a b\".c select generate_series(1, 11)",
                "insert into a.\"b c\" select generate_series(1, 13)",
                "select lo_from_bytea(0, convert_to(E'a large\\nobject\\n\\\\.\\n', 'UTF8'))",
                "create materialized view by_month as select date_trunc('month', at) m, count(*) from measurements group by 1");
    }

    @AfterAll
    static void dropSource() {
        source.drop();
    }

    @ParameterizedTest
    @CsvSource({"zstd, 2", "zstd, 1", "none, 2", "gzip, 2", "gzip, 1"})
    void everyTableCountEqualsCountStar(String codec, int jobs, @TempDir Path dir) {
        CliRun export = CliRun.of("-v", "export", "--url", source.url(), "--output", dir.toString(),
                "--compress", codec, "--jobs", String.valueOf(jobs));
        assertThat(export.exitCode()).as(export.toString()).isZero();
        Manifest manifest = ArchiveReader.readManifest(Path.of(export.lastLine()));

        Map<String, Long> rows = manifest.tables().stream().filter(t -> t.rows() != null)
                .collect(Collectors.toMap(Manifest.Table::qualifiedName, Manifest.Table::rows));
        assertThat(ArchiveReader.read(Path.of(export.lastLine()), dir.resolve("unpacked"), n -> { }).sidecarChecked())
                .as("every checksum matches").isTrue();
        assertThat(rows).containsKeys("public.tricky", "public.big", "public.empty_one", "public.wide", "public.measurements_2024",
                "public.measurements_2025", "public.parent", "public.child", "a b.c", "a.b c", "public.by_month");
        for (Manifest.Table t : manifest.tables()) {
            if (t.rows() != null) {
                long counted = source.queryLong("select count(*) from only \"" + t.schema().replace("\"", "\"\"")
                        + "\".\"" + t.name().replace("\"", "\"\"") + "\"");
                assertThat(t.rows()).as(t.qualifiedName()).isEqualTo(counted);
            }
        }
        assertThat(rows.get("public.tricky")).isEqualTo(20_009);
        assertThat(rows.get("public.parent")).isEqualTo(2);
        assertThat(rows.get("public.big")).isEqualTo(400_000);
        // Matched by oid, even the two tables whose TOC lines print alike are counted from their data files, with
        // every codec (pg_dump writes -Z0 for all of them).
        assertThat(export.err()).doesNotContain("table(s) in the snapshot");
    }
}
