package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dbtool.testing.CliRun;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live site keeps writing while we export. The manifest's counts must describe the dump's
 * snapshot exactly, or the import's check would fail (or worse, pass by luck).
 */
class LiveWritesIT {

    @Test
    void exportDuringContinuousInsertsStillValidatesOnImport(@TempDir Path dir) throws Exception {
        TestDatabase live = PgServers.defaultServer().createDatabase("live");
        TestDatabase target = PgServers.defaultServer().createDatabase("live_target");
        live.execute("create table signups (id bigserial primary key, name text, at timestamptz default now())",
                "create table audit (id bigserial primary key, signup_id bigint, note text)",
                "insert into signups (name) select 'member ' || g from generate_series(1, 400000) g",
                "insert into audit (signup_id, note) select g, 'seed' from generate_series(1, 400000) g");
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong inserted = new AtomicLong();
        Thread writer = new Thread(() -> {
            try (Connection c = live.connect(); Statement st = c.createStatement()) {
                while (writing.get()) {
                    // Two tables in one transaction: a dump mixing snapshots would show it.
                    c.setAutoCommit(false);
                    st.execute("insert into signups (name) values ('live')");
                    st.execute("insert into audit (signup_id, note) values (currval('signups_id_seq'), 'live')");
                    c.commit();
                    inserted.incrementAndGet();
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, "live-writer");
        writer.start();
        try {
            while (inserted.get() < 50) {
                Thread.sleep(10);
            }
            CliRun export = CliRun.of("export", "--url", live.url(), "--output", dir.toString(), "-q");
            long insertedDuringExport = inserted.get();
            assertThat(export.exitCode()).as(export.toString()).isZero();
            writing.set(false);
            writer.join();

            JsonNode manifest = new ObjectMapper().readTree(CliRun.of("--json", "inspect", export.lastLine()).out());
            long signups = rows(manifest, "signups");
            assertThat(rows(manifest, "audit")).isEqualTo(signups);
            assertThat(live.queryLong("select count(*) from signups"))
                    .as("the writer really wrote during the export").isGreaterThan(signups);
            assertThat(insertedDuringExport).isGreaterThan(100);

            CliRun imported = CliRun.of("import", export.lastLine(), "--url", target.url());
            assertThat(imported.exitCode()).as(imported.toString()).isZero();
            assertThat(target.queryLong("select count(*) from signups")).isEqualTo(signups);
        } finally {
            writing.set(false);
            writer.join();
            live.drop();
            target.drop();
        }
    }

    private static long rows(JsonNode manifest, String table) {
        for (JsonNode t : manifest.path("tables")) {
            if (t.path("name").asText().equals(table)) {
                return t.path("rows").asLong();
            }
        }
        throw new AssertionError("no " + table);
    }
}
