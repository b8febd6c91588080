package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dbtool.archive.Manifest;
import dbtool.pg.Catalog;
import dbtool.testing.CliRun;
import dbtool.testing.CliUrls;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One database with plain tables, an empty table, a view, a materialized view, a sequence and a partitioned table
 * with two partitions: export, its progress bar, inspect, import and compare all say "4 tables" (what holds rows:
 * the plain tables and the partitions), with the materialized view and the partitioned parent named apart.
 */
class CountsAgreeIT {

    private static final int TABLES = 4; // cats, empty, events_1, events_2
    private static final long ROWS = 3 + 0 + 2 + 1;

    @TempDir
    Path dir;

    private TestServer server;
    private TestDatabase source;
    private TestDatabase target;

    @BeforeEach
    void database() {
        server = PgServers.defaultServer();
        source = server.createDatabase("ux_counts");
        target = server.createDatabase("ux_counts_target");
        target.drop(); // import creates it
        source.execute("create table cats(id int primary key, name text)",
                "insert into cats values (1, 'a'), (2, 'b'), (3, 'c')",
                "create table empty(id int)",
                "create view cat_names as select name from cats",
                "create materialized view cat_ids as select id from cats",
                "create sequence tickets",
                "create table events(id int, year int) partition by range (year)",
                "create table events_1 partition of events for values from (2000) to (2010)",
                "create table events_2 partition of events for values from (2010) to (2020)",
                "insert into events values (1, 2001), (2, 2002), (3, 2015)");
    }

    @AfterEach
    void drop() {
        source.drop();
        target.drop();
    }

    private static JsonNode json(CliRun run) throws Exception {
        assertThat(run.exitCode()).as(run.toString()).isZero();
        return new ObjectMapper().readTree(run.out());
    }

    @Test
    void exportProgressInspectImportAndCompareCountTheSameTables() throws Exception {
        String url = CliUrls.superuser(source);
        CliRun export = CliRun.of("export", "--url", url, "--output", dir.toString());
        assertThat(export.exitCode()).as(export.toString()).isZero();
        String archive = export.lastLine();
        String described = TABLES + " tables (+ 1 materialized view, 1 partitioned table)";
        assertThat(export.out()).contains("exported " + described + ", " + ROWS + " rows");
        JsonNode exported = json(CliRun.of("export", "--url", url, "--output", dir.resolve("again").toString(), "--json"));
        assertThat(exported.get("tables").asInt()).isEqualTo(TABLES);
        assertThat(exported.get("materialized_views").asInt()).isEqualTo(1);
        assertThat(exported.get("partitioned_tables").asInt()).isEqualTo(1);

        // The progress bar's "n of N tables" counts from the same catalog rows.
        try (Connection c = source.connect()) {
            DumpProgress progress = new DumpProgress(dir, Catalog.relations(c), true);
            progress.finish();
            assertThat(progress.detail()).isEqualTo(TABLES + " of " + TABLES + " tables");
        }

        CliRun inspect = CliRun.of("inspect", archive);
        assertThat(inspect.out()).as(inspect.toString()).contains("tables:         " + described + ", " + ROWS + " rows");
        JsonNode manifest = json(CliRun.of("inspect", archive, "--json"));
        assertThat(StreamSupport.stream(manifest.get("tables").spliterator(), false)
                .filter(t -> t.get("kind").asText().equals(Manifest.Table.TABLE)).count()).isEqualTo(TABLES);

        String targetUrl = CliUrls.superuser(target);
        CliRun imported = CliRun.of("import", archive, "--url", targetUrl);
        assertThat(imported.out()).as(imported.toString()).contains(": " + TABLES + " tables, " + ROWS + " rows");

        String summary = "equal: " + TABLES + " tables (+ 1 materialized view), " + ROWS + " rows";
        assertThat(CliRun.of("compare", "--url", url, "--url", targetUrl).out()).contains(summary);
        assertThat(CliRun.of("compare", "--url", url, "--archive", archive).out()).contains(summary);
        JsonNode compared = json(CliRun.of("compare", "--url", url, "--archive", archive, "--json"));
        assertThat(compared.get("tables_compared").asInt()).isEqualTo(TABLES);
        assertThat(compared.get("materialized_views_compared").asInt()).isEqualTo(1);
    }
}
