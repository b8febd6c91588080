package dbtool.verify;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.archive.Manifest;
import dbtool.config.ConnectionSettings;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The check after a restore: every table the manifest promises, with exactly its rows. */
class RowCountCheckIT {

    @Test
    void reportsWrongCountsMissingTablesAndTrustsNothingButTheTarget() {
        TestDatabase db = PgServers.defaultServer().createDatabase("rowcount");
        try {
            db.execute("create table t1 (id int)", "insert into t1 select generate_series(1, 3)",
                    "create table t2 (id int)", "insert into t2 select generate_series(1, 4)",
                    "create table t4 (id int)", "insert into t4 select generate_series(1, 7)");
            Manifest manifest = new Manifest(Manifest.FORMAT, 1, "test", "2026-11-26T00:00:00Z", "p",
                    new Manifest.Source("h", 5432, "d", "u"), "15.0", "15.0", "directory", "gzip", "gzip:1", "snapshot",
                    List.of(table("t1", 3), table("t2", 5), table("t3", 1), table("t4", 7)), List.of(), List.of());
            ConnectionSettings target = ConnectionSettings.parse(db.url());

            RowCountCheck.Outcome plain = RowCountCheck.run(target, manifest, 2);
            assertThat(plain.mismatches()).extracting(RowCountCheck.Mismatch::describe).containsExactly(
                    "public.t2: expected 5 rows, found 4", "public.t3: expected 1 rows, found no such table");

            // A count taken early (while pg_restore was still running) is used as it is: a wrong one fails.
            RowCountCheck.Outcome early = RowCountCheck.run(target, manifest, 2, Map.of("public.t1", 2L, "public.t4", 7L));
            assertThat(early.mismatches()).extracting(RowCountCheck.Mismatch::table)
                    .containsExactly("public.t1", "public.t2", "public.t3");
            assertThat(early.tablesChecked()).isEqualTo(4);
        } finally {
            db.drop();
        }
    }

    private static Manifest.Table table(String name, long rows) {
        return new Manifest.Table("public", name, Manifest.Table.TABLE, rows, 8192, null);
    }
}
