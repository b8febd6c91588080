package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.archive.ArchiveReader;
import dbtool.archive.Manifest;
import dbtool.testing.CliRun;
import dbtool.testing.CliUrls;
import dbtool.testing.NewDatabases;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestServer;
import java.nio.file.Path;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tables of {@link StreamedLoad#SHARED_BYTES} and more are loaded by every free loader at once, each sending whole
 * lines in its own COPY: every row arrives once, and a damaged share still leaves nothing behind.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SharedTableIT {

    /**
     * Rows of ~300 bytes: big_a takes about twice {@link StreamedLoad#SHARED_BYTES}, big_b a bit more than it. However
     * the two start, the loader done with big_b (or with the small table) finds big_a still loading, and joins it.
     */
    private static final int ROWS_A = 450_000;
    private static final int ROWS_B = 240_000;
    private static final String CONTENT = "select count(*) || ' ' || md5(string_agg(id || ':' || payload, ',' order by id)) from ";

    private TestServer server;
    private TestDatabase source;
    private Path archive;
    private NewDatabases targets;
    private String sourceA;
    private String sourceB;

    @BeforeAll
    void exportTwoBigTables(@TempDir Path dir) throws SQLException {
        server = PgServers.defaultServer();
        source = server.createDatabase("shared_src");
        targets = new NewDatabases(server, "shared_dst");
        source.execute("create table big_a(id bigint primary key, payload text)",
                "insert into big_a select g, repeat(md5(g::text), 9) from generate_series(1, " + ROWS_A + ") g",
                "create table big_b(id bigint primary key, payload text)",
                "insert into big_b select g, repeat(md5((-g)::text), 9) from generate_series(1, " + ROWS_B + ") g",
                "create table cats(id int primary key, name text)",
                "insert into cats select g, 'cat ' || g from generate_series(1, 100) g");
        CliRun run = CliRun.of("export", "--url", CliUrls.superuser(source), "--output", dir.toString(), "-q");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        archive = Path.of(run.lastOutLine());
        sourceA = source.queryString(CONTENT + "big_a");
        sourceB = source.queryString(CONTENT + "big_b");
        Manifest manifest = ArchiveReader.readManifest(archive);
        assertThat(manifest.files()).as("both tables are big enough to be shared")
                .filteredOn(f -> f.path().matches("dump/\\d+\\.dat") && f.size() >= StreamedLoad.SHARED_BYTES).hasSize(2);
    }

    @AfterAll
    void dropSource() {
        if (source != null) {
            source.drop();
        }
    }

    @AfterEach
    void dropTargets() {
        targets.dropAll();
    }

    @Test
    void twoLoadersLoadEachBigTableAndEveryRowArrivesOnce() throws SQLException {
        String target = targets.next();
        CliRun run = CliRun.of("-v", "import", archive.toString(), "--url", CliUrls.superuser(server, target), "--jobs", "2");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out()).contains("all row counts match the manifest");
        assertThat(run.err()).contains("public.big_a: " + ROWS_A + " rows loaded by 2 loaders at once");
        TestDatabase imported = new TestDatabase(server, target);
        assertThat(imported.queryString(CONTENT + "big_a")).isEqualTo(sourceA);
        assertThat(imported.queryString(CONTENT + "big_b")).isEqualTo(sourceB);
        assertThat(imported.queryString("select count(*) from cats")).isEqualTo("100");
        assertThat(imported.queryString("select count(*) from pg_indexes where tablename in ('big_a', 'big_b', 'cats')"))
                .isEqualTo("3");
    }

    @Test
    void oneLoaderLoadsEachTableAlone() throws SQLException {
        String target = targets.next();
        CliRun run = CliRun.of("-v", "import", archive.toString(), "--url", CliUrls.superuser(server, target), "--jobs", "1");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.err()).doesNotContain("loaders at once");
        assertThat(new TestDatabase(server, target).queryString(CONTENT + "big_a")).isEqualTo(sourceA);
    }

    /**
     * A row in the middle of a shared table loses a column: the COPY of whichever loader gets it fails, the other
     * loaders stop too, and the entry's checksum says why. Nothing is committed, the created database is dropped and
     * no loader thread is left.
     */
    @Test
    void aDamagedRowInASharedTableIsExit4AndLeavesNothing(@TempDir Path dir) throws Exception {
        Manifest manifest = ArchiveReader.readManifest(archive);
        Manifest.FileEntry first = manifest.files().stream().filter(f -> f.path().matches("dump/\\d+\\.dat")
                && f.size() >= StreamedLoad.SHARED_BYTES).findFirst().orElseThrow();
        Path damaged = DamagedArchive.write(archive, first, dir, (tar, start, size) -> {
            int tab = start + (int) (size / 2);
            while (tar[tab] != '\t') {
                tab++;
            }
            tar[tab] = 'x'; // "missing data for column payload"
        });

        String target = targets.next();
        CliRun run = CliRun.of("-v", "import", damaged.toString(), "--url", CliUrls.superuser(server, target), "--jobs", "2");
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(4);
        assertThat(run.errLines()).as(run.toString())
                .anyMatch(l -> l.startsWith("dbtool: error:") && l.contains("checksum mismatch")
                        && l.endsWith("the database it had created was dropped again"));
        assertThat(targets.exists(target)).isFalse();
        assertThat(Thread.getAllStackTraces().keySet()).map(Thread::getName)
                .noneMatch(n -> n.startsWith("dbtool-loader") || n.startsWith("dbtool-read-ahead"));
    }
}
