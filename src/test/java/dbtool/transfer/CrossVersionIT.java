package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.testing.CliRun;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Archives move between majors; a server newer than every local pg_dump is refused up front. */
class CrossVersionIT {

    @Test
    void exportFromPostgres12ImportsIntoPostgres15(@TempDir Path dir) {
        TestDatabase old = PgServers.embedded(12).createDatabase("from12");
        TestDatabase target = PgServers.defaultServer().createDatabase("into15");
        try {
            old.execute("create table cat_lovers (id serial primary key, name text, cat_name text)",
                    "insert into cat_lovers (name, cat_name) select 'member ' || g, 'cat ' || g from generate_series(1, 3000) g");
            CliRun export = CliRun.of("export", "--url", old.url(), "--output", dir.toString(), "-q");
            assertThat(export.exitCode()).as(export.toString()).isZero();
            String manifest = CliRun.of("--json", "inspect", export.lastLine()).out();
            assertThat(manifest).contains("\"server_version\" : \"12.");

            CliRun imported = CliRun.of("import", export.lastLine(), "--url", target.url());
            assertThat(imported.exitCode()).as(imported.toString()).isZero();
            assertThat(target.queryLong("select count(*) from cat_lovers")).isEqualTo(3000);
            assertThat(target.queryLong("select last_value from cat_lovers_id_seq")).isEqualTo(3000);
            assertThat(target.queryString("show server_version")).startsWith("15.");
        } finally {
            old.drop();
            target.drop();
        }
    }

    @Test
    void serverNewerThanLocalPgDumpFailsBeforeWritingAnything(@TempDir Path dir) throws Exception {
        TestDatabase newer = PgServers.embedded(17).createDatabase("newer");
        Path output = dir.resolve("dumps");
        try {
            newer.execute("create table t (id int)");
            CliRun export = CliRun.of("export", "--url", newer.url(), "--output", output.toString());
            assertThat(export.exitCode()).as(export.toString()).isEqualTo(1);
            assertThat(export.err().strip().lines().filter(l -> l.startsWith("dbtool: error:")).toList())
                    .singleElement().asString().contains("PostgreSQL 17", "pg_dump 17 or newer");
            assertThat(export.err()).doesNotContain("\tat ");
            assertThat(Files.exists(output)).as("nothing written").isFalse();
        } finally {
            newer.drop();
        }
    }
}
