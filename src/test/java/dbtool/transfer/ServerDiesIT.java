package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.testing.CliRun;
import dbtool.testing.CliUrls;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server goes away in the middle of an import: the messages must say what is true. */
class ServerDiesIT {

    @Test
    void whenTheServerDiesMidImportTheLastLineDoesNotClaimTheDatabaseWasDropped(@TempDir Path dir) throws Exception {
        try (PgServers.Stoppable own = PgServers.startStoppable()) {
            TestDatabase source = own.server().createDatabase("trust_dies");
            source.execute("create table big (id bigint primary key, a text, b text)",
                    "insert into big select g, md5(g::text), md5((g * 7)::text) from generate_series(1, 1500000) g");
            CliRun exported = CliRun.of("export", "--url", CliUrls.superuser(source), "--output", dir.toString(), "-q");
            assertThat(exported.exitCode()).as(exported.toString()).isZero();
            String target = source.name() + "_copy";

            CompletableFuture<CliRun> importing = CompletableFuture.supplyAsync(() -> CliRun.of("import",
                    exported.lastLine(), "--url", CliUrls.superuser(own.server(), target), "--jobs", "1"));
            waitForCopy(own, target, importing);
            own.close();

            CliRun run = importing.get(180, TimeUnit.SECONDS);
            assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
            assertThat(run.err()).as(run.toString()).contains("could not drop the partly restored database " + target);
            String last = run.errLines().get(run.errLines().size() - 1);
            // pg_restore's failure, or (streamed import) the failed COPY's.
            assertThat(last).as(run.toString()).startsWith("dbtool: error: ").contains("failed")
                    .contains("could not be dropped", "dropdb " + target).doesNotContain("dropped again");
        }
    }

    private static void waitForCopy(PgServers.Stoppable own, String database, CompletableFuture<CliRun> importing)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        try (Connection c = own.server().connectAdmin(); PreparedStatement ps = c.prepareStatement(
                "select count(*) from pg_stat_activity where datname = ? and query ilike 'copy %'")) {
            ps.setString(1, database);
            while (System.nanoTime() < deadline && !importing.isDone()) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) > 0) {
                        return;
                    }
                }
                Thread.sleep(10);
            }
        }
        throw new AssertionError("no COPY seen in " + database + "; import done: " + importing.isDone()
                + (importing.isDone() ? "\n" + importing.get() : ""));
    }
}
