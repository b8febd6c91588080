package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dbtool.archive.Manifest;
import dbtool.testing.CliRun;
import dbtool.testing.CliUrls;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --schema / --exclude-table exports say what they left out, need only their own extensions, and warn about dangling foreign keys. */
class PartialExportIT {

    private static final TestServer SERVER = PgServers.defaultServer();
    private static TestDatabase source;

    @BeforeAll
    static void createSource() {
        source = SERVER.createDatabase("partial");
        source.execute("create extension citext",
                "create table public.customers (id int primary key, email citext)",
                "insert into public.customers select g, 'c' || g || '@Example.org' from generate_series(1, 50) g",
                "create schema app",
                "create table app.orders (id int primary key, customer_id int constraint orders_customer_fk references public.customers)",
                "insert into app.orders select g, 1 + g % 50 from generate_series(1, 200) g",
                "create table app.notes (id int primary key, order_id int references app.orders)");
    }

    @AfterAll
    static void dropSource() {
        source.drop();
    }

    private static CliRun export(Path dir, String... filter) {
        List<String> args = new ArrayList<>(List.of("export", "--url", CliUrls.superuser(source), "--output", dir.toString()));
        args.addAll(List.of(filter));
        CliRun run = CliRun.of(args);
        assertThat(run.exitCode()).as(run.toString()).isZero();
        return run;
    }

    @Test
    void schemaExportRecordsWhatItLeftOutNeedsNoExtensionAndWarnsAboutTheForeignKey(@TempDir Path dir) throws Exception {
        CliRun run = export(dir, "--schema", "app");
        assertThat(run.err()).contains("foreign key orders_customer_fk of app.orders references public.customers,"
                + " which this export leaves out");
        assertThat(run.err()).doesNotContain("app.notes references"); // app.orders is in the archive
        String archive = run.lastLine();
        JsonNode manifest = new ObjectMapper().readTree(CliRun.of("--json", "inspect", archive).out());
        assertThat(manifest.path("partial").path("schemas").toString()).isEqualTo("[\"app\"]");
        assertThat(manifest.path("extensions").toString()).doesNotContain("citext");
        assertThat(CliRun.of("inspect", archive).out()).contains("partial:        --schema app");

        // Importing that archive fails on exactly that constraint, as the warning said.
        TestDatabase target = SERVER.createDatabase("partial_target");
        try {
            CliRun imported = CliRun.of("import", archive, "--url", CliUrls.superuser(target));
            assertThat(imported.exitCode()).isEqualTo(1);
            assertThat(imported.err()).contains("\"public.customers\" does not exist");
        } finally {
            target.drop();
        }
    }

    @Test
    void excludedTableIsRecordedAndWarnedAbout(@TempDir Path dir) throws Exception {
        CliRun run = export(dir, "--exclude-table", "public.customers");
        assertThat(run.err()).contains("foreign key orders_customer_fk of app.orders references public.customers");
        assertThat(CliRun.of("inspect", run.lastLine()).out()).contains("partial:        --exclude-table public.customers");
    }

    @Test
    void wholeDatabaseExportIsNotPartialAndNeedsItsExtensions(@TempDir Path dir) throws Exception {
        CliRun run = export(dir);
        assertThat(run.err()).doesNotContain("foreign key");
        JsonNode manifest = new ObjectMapper().readTree(CliRun.of("--json", "inspect", run.lastLine()).out());
        assertThat(manifest.has("partial")).isFalse();
        assertThat(manifest.path("extensions").toString()).contains("citext");
        assertThat(manifest.path("format_version").asInt()).isEqualTo(Manifest.FORMAT_VERSION); // manifest last
    }
}
