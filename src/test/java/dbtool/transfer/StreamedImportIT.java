package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.archive.ArchiveLayout;
import dbtool.archive.ArchiveReader;
import dbtool.archive.ArchiveWriter;
import dbtool.archive.Checksums;
import dbtool.archive.Compression;
import dbtool.archive.Manifest;
import dbtool.testing.CliRun;
import dbtool.testing.CliUrls;
import dbtool.testing.NewDatabases;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streamed import (archives whose last member holds toc.dat, into a database the import creates): each table's
 * data goes from the archive into COPY, the server's reply is the row count, and a damaged entry still leaves nothing
 * behind. One real export is shared by all tests; each test imports into a database of its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StreamedImportIT {

    private static final String STREAMING = "each table's data into COPY";

    private TestServer server;
    private TestDatabase source;
    private Path archive;
    private NewDatabases targets;

    @BeforeAll
    void exportARealDatabase(@TempDir Path dir) {
        server = PgServers.defaultServer();
        source = server.createDatabase("streamed_src");
        targets = new NewDatabases(server, "streamed_dst");
        source.execute("create table cats(id serial primary key, name text not null)",
                "insert into cats(name) select 'cat ' || g from generate_series(1, 500) g",
                // Random text compresses badly: the data file is big, and a byte in its middle is data.
                "create table events(id bigint primary key, payload text)",
                "insert into events select g, md5(random()::text) || md5(random()::text) from generate_series(1, 30000) g",
                "create sequence tickets", "select setval('tickets', 4242)",
                "select lo_from_bytea(0, convert_to('a large object', 'UTF8'))",
                "create materialized view cat_count as select count(*) as n from cats");
        CliRun run = CliRun.of("export", "--url", CliUrls.superuser(source), "--output", dir.toString(), "-q");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        archive = Path.of(run.lastOutLine());
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

    private String target() {
        return targets.next();
    }

    private CliRun importInto(Path file, String target) {
        return CliRun.of("-v", "import", file.toString(), "--url", CliUrls.superuser(server, target), "--jobs", "2");
    }

    @Test
    void exportPutsTheTocIntoTheLastMemberBeforeTheManifest() throws IOException {
        List<String> names = new ArrayList<>();
        try (InputStream in = GzipCompressorInputStream.builder().setInputStream(Files.newInputStream(archive))
                .setDecompressConcatenated(true).get(); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                names.add(e.getName());
            }
        }
        assertThat(names.subList(names.size() - 3, names.size()))
                .containsExactly("dump/toc.dat", ArchiveLayout.MANIFEST, ArchiveLayout.CHECKSUMS);
        assertThat(ArchiveReader.readTail(dbtool.archive.ArchiveInput.of(archive)).orElseThrow().toc()).isPresent();
    }

    @Test
    void streamedImportRestoresTablesSequencesLargeObjectsAndViews() throws SQLException {
        String target = target();
        CliRun run = importInto(archive, target);
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.err()).as("the streamed path was taken").contains(STREAMING);
        assertThat(run.out()).contains("all row counts match the manifest");
        try (Connection c = new TestDatabase(server, target).connect()) {
            assertThat(query(c, "select count(*) from cats")).isEqualTo("500");
            assertThat(query(c, "select count(*) from events")).isEqualTo("30000");
            assertThat(query(c, "select last_value from tickets")).isEqualTo("4242");
            assertThat(query(c, "select last_value from cats_id_seq")).isEqualTo("500");
            assertThat(query(c, "select convert_from(lo_get(oid), 'UTF8') from pg_largeobject_metadata"))
                    .isEqualTo("a large object");
            assertThat(query(c, "select n from cat_count")).isEqualTo("500");
            assertThat(query(c, "select count(*) from pg_indexes where tablename in ('cats', 'events')")).isEqualTo("2");
        }
    }

    @Test
    void theCopyReplyIsTheRowProof(@TempDir Path dir) throws IOException {
        // The manifest promises one cat more than the data holds; checksums and sidecar are right for that manifest.
        Path lying = rewrite(dir, manifest -> new Manifest(manifest.format(), manifest.formatVersion(),
                manifest.toolVersion(), manifest.createdAt(), manifest.project(), manifest.source(),
                manifest.serverVersion(), manifest.pgDumpVersion(), manifest.dumpFormat(), manifest.compression(),
                manifest.dumpCompression(), manifest.rowCounts(), manifest.tables().stream()
                        .map(t -> t.name().equals("cats") ? new Manifest.Table(t.schema(), t.name(), t.kind(),
                                t.rows() + 1, t.sizeBytes(), t.populated()) : t).toList(),
                manifest.extensions(), manifest.files(), manifest.database(), manifest.partial(), manifest.globals()));
        String target = target();
        CliRun run = importInto(lying, target);
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(3);
        assertThat(run.err()).contains(STREAMING).contains("public.cats: expected 501 rows, found 500");
    }

    @Test
    void aDamagedDataEntryMidArchiveIsExit4AndTheCreatedDatabaseIsGone(@TempDir Path dir) throws Exception {
        importDamaged(dir, "2");
    }

    /**
     * One loader, whose COPY may fail on the damaged bytes while the entry still streams through memory to it: the
     * reader must get past the rest of the entry to find the checksum wrong, and no loader thread is left behind.
     */
    @Test
    void aDamagedEntryWithOneLoaderIsExit4AndLeavesNoLoaderThread(@TempDir Path dir) throws Exception {
        importDamaged(dir, "1");
        assertThat(Thread.getAllStackTraces().keySet()).map(Thread::getName)
                .noneMatch(n -> n.startsWith("dbtool-loader") || n.startsWith("dbtool-read-ahead"));
    }

    private void importDamaged(Path dir, String jobs) throws Exception {
        Manifest manifest = ArchiveReader.readManifest(archive);
        Manifest.FileEntry biggest = manifest.files().stream().filter(f -> f.path().matches("dump/\\d+\\.dat(\\.gz)?"))
                .max(Comparator.comparingLong(Manifest.FileEntry::size)).orElseThrow();
        // One byte of the biggest table's data flipped.
        Path damaged = DamagedArchive.write(archive, biggest, dir, (tar, start, size) -> tar[start + (int) (size / 2)] ^= 0x20);

        String target = target();
        CliRun run = CliRun.of("-v", "import", damaged.toString(), "--url", CliUrls.superuser(server, target), "--jobs", jobs);
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(4);
        assertThat(run.err()).contains(STREAMING).contains("dropped the database " + target);
        assertThat(run.errLines()).as(run.toString())
                .anyMatch(l -> l.startsWith("dbtool: error:") && l.contains("damaged")
                        && l.endsWith("the database it had created was dropped again"));
        assertThat(targets.exists(target)).isFalse();
    }

    @Test
    void whenTheTocLookUpsDoNotLineUpTheDatabaseCreatedMeanwhileMakesWayForTheClassicImport(@TempDir Path dir)
            throws SQLException {
        // A table name with a newline makes pg_restore's COPY statement two lines: the loaders cannot use it, and the
        // import goes the classic way. The target was created while the toc was read; it must not be left behind
        // or trip the classic way's own creation.
        TestDatabase odd = server.createDatabase("streamed_odd");
        try {
            odd.execute("create table \"two\nlines\"(id int primary key)",
                    "insert into \"two\nlines\" select generate_series(1, 7)");
            CliRun export = CliRun.of("export", "--url", CliUrls.superuser(odd), "--output", dir.toString(), "-q");
            assertThat(export.exitCode()).as(export.toString()).isZero();
            String target = target();
            CliRun run = importInto(Path.of(export.lastOutLine()), target);
            assertThat(run.exitCode()).as(run.toString()).isZero();
            assertThat(run.err()).contains("restoring the classic way").doesNotContain(STREAMING);
            assertThat(run.out()).contains("all row counts match the manifest");
            try (Connection c = new TestDatabase(server, target).connect()) {
                assertThat(query(c, "select count(*) from \"two\nlines\"")).isEqualTo("7");
            }
        } finally {
            odd.drop();
        }
    }

    /**
     * The stream starts while the target database is still being created (once the import is sure to go streamed):
     * however much of the archive is read by the time the database exists — here all of it — every table waits in
     * memory or in the work directory and is loaded, proven by COPY's counts, once the loaders start.
     */
    @Test
    void anArchiveReadBeforeItsDatabaseExistsIsLoadedOnceItDoes(@TempDir Path work) throws Exception {
        String target = target();
        StreamedRestore plan = plan(target, work);
        plan.startReading();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(120);
        while (!plan.readToTheEnd()) {
            assertThat(System.nanoTime()).as("the whole archive is read with no database to load into").isLessThan(deadline);
            Thread.onSpinWait();
        }
        assertThat(targets.exists(target)).isFalse();
        try (Connection admin = server.connectAdmin(); java.sql.Statement st = admin.createStatement()) {
            st.execute("create database " + target);
        }
        java.util.Map<String, Long> counted = new java.util.HashMap<>();
        plan.into(dbtool.config.ConnectionSettings.parse(CliUrls.superuser(server, target)), counted);
        assertThat(counted).containsEntry("public.cats", 500L).containsEntry("public.events", 30000L);
        try (Connection c = new TestDatabase(server, target).connect()) {
            assertThat(query(c, "select count(*) from events")).isEqualTo("30000");
            assertThat(query(c, "select count(*) from pg_indexes where tablename in ('cats', 'events')")).isEqualTo("2");
        }
    }

    /** An import that stops before it restores (the database could not be created, say) ends the stream it began. */
    @Test
    void aStreamStartedForAnImportThatGoesNoFurtherEndsAndLeavesNoReader(@TempDir Path work) throws Exception {
        StreamedRestore plan = plan(target(), work);
        plan.startReading();
        plan.stopReading();
        // Its result is in once stopReading returns; the thread that delivered it may still be on its way out.
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith("dbtool-archive-reader"))
                && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(Thread.getAllStackTraces().keySet()).map(Thread::getName)
                .noneMatch(n -> n.startsWith("dbtool-archive-reader") || n.startsWith("dbtool-loader")
                        || n.startsWith("dbtool-read-ahead") || n.startsWith("dbtool-igzip"));
        assertThat(plan.readToTheEnd()).isFalse();
    }

    private StreamedRestore plan(String target, Path work) throws IOException {
        dbtool.archive.ArchiveInput input = dbtool.archive.ArchiveInput.of(archive);
        dbtool.archive.TailEntries tail = ArchiveReader.readTail(input).orElseThrow();
        ImportOptions options = new ImportOptions(input, null,
                dbtool.config.ConnectionSettings.parse(CliUrls.superuser(server, target)), 2, false, false, work);
        dbtool.pg.PgTool pgRestore = dbtool.pg.PgToolLocator.fromSystemEnvironment().forServer("pg_restore",
                new dbtool.pg.PgVersion(Integer.parseInt(tail.manifest().pgDumpVersion().split("\\.")[0]), 0));
        return StreamedRestore.plan(dbtool.Reporter.SILENT, pgRestore, options, tail, work, WorkDisk.REAL).orElseThrow();
    }

    /** The archive again, written by dbtool's own writer with {@code change} applied to its manifest, and a sidecar. */
    private Path rewrite(Path dir, java.util.function.UnaryOperator<Manifest> change) throws IOException {
        Path files = Files.createDirectories(dir.resolve("files"));
        List<String> order = new ArrayList<>();
        try (InputStream in = GzipCompressorInputStream.builder().setInputStream(Files.newInputStream(archive))
                .setDecompressConcatenated(true).get(); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                if (e.getName().startsWith(ArchiveLayout.DUMP_PREFIX)) {
                    Files.copy(tar, files.resolve(e.getName().substring(ArchiveLayout.DUMP_PREFIX.length())));
                    order.add(e.getName());
                }
            }
        }
        Path out = dir.resolve(archive.getFileName());
        ArchiveWriter.Written written;
        try (OutputStream target = Files.newOutputStream(out);
                ArchiveWriter.Body body = new ArchiveWriter(Compression.GZIP, 1).open(target, Instant.now())) {
            for (String name : order) {
                Path file = files.resolve(name.substring(ArchiveLayout.DUMP_PREFIX.length()));
                if (name.endsWith("/toc.dat")) {
                    body.addToLastMember(file, name);
                } else {
                    body.add(file, name, n -> { });
                }
            }
            written = body.finish(change.apply(ArchiveReader.readManifest(archive)));
        }
        Files.writeString(ArchiveReader.sidecarOf(out), Checksums.sidecarLine(written.sha256(), out.getFileName().toString()));
        return out;
    }

    private static String query(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }
}
