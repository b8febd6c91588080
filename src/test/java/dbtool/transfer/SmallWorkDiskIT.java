package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.Reporter;
import dbtool.archive.ArchiveInput;
import dbtool.archive.ArchiveReader;
import dbtool.archive.Manifest;
import dbtool.config.ConnectionSettings;
import dbtool.pg.PgToolLocator;
import dbtool.testing.CliRun;
import dbtool.testing.CliUrls;
import dbtool.testing.NewDatabases;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestServer;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A streamed import on a work disk with little room (simulated: the import is given the disk's free space as the
 * size it was given less what its work directory holds): it is not refused for the whole dump, it spills no table's
 * data beyond that room (the reader waits for the loader instead) and every row arrives. A disk that fills all the
 * same ends the import with the one "disk full" line, and the database it created is dropped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SmallWorkDiskIT {

    private static final long MB = 1 << 20;
    /** The small disk's reserve: 2% of a 50 MB disk. */
    private static final long RESERVE = MB;
    /** Rows of each of the three tables: about 12 MB of COPY text each. */
    private static final int ROWS = 160_000;

    private TestServer server;
    private TestDatabase source;
    private Path archive;
    private Manifest manifest;
    private NewDatabases targets;

    @BeforeAll
    void exportThreeBigTables(@TempDir Path dir) {
        server = PgServers.defaultServer();
        source = server.createDatabase("smallwork_src");
        targets = new NewDatabases(server, "smallwork_dst");
        for (String table : List.of("ants", "bees", "wasps")) {
            // The check makes COPY slow (the schema's constraint is there while the data loads): each loader stays
            // behind the archive's reader, as it does on a busy server, and the reader has a reason to spill.
            source.execute("create table " + table + "(id bigint primary key, payload text"
                            + " check (length(repeat(payload, 100)) > 0))",
                    "insert into " + table + " select g, md5(random()::text) || md5(random()::text)"
                            + " from generate_series(1, " + ROWS + ") g");
        }
        source.execute("select lo_from_bytea(0, convert_to('a large object', 'UTF8'))");
        CliRun run = CliRun.of("export", "--url", CliUrls.superuser(source), "--output", dir.toString(), "-q");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        archive = Path.of(run.lastOutLine());
        manifest = ArchiveReader.readTail(ArchiveInput.of(archive)).orElseThrow().manifest();
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

    private ImportOptions options(String target, Path workDir) {
        ConnectionSettings into = ConnectionSettings.parse(server.url(target))
                .withCredentials(server.superuser(), server.superuserPassword());
        return new ImportOptions(ArchiveInput.of(archive), null, into, 2, false, false, workDir);
    }

    private static long dumpSize(Manifest manifest) {
        return manifest.files().stream().mapToLong(Manifest.FileEntry::size).sum();
    }

    /** Bytes of the files under {@code dir} (files deleted meanwhile count as gone). */
    private static long used(Path dir) {
        AtomicLong sum = new AtomicLong();
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    sum.addAndGet(attrs.size());
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sum.get();
    }

    /** A disk of {@code size} bytes holding nothing but {@code root}; records the most it held while spilling. */
    private static final class SmallDisk implements WorkDisk {
        final Path root;
        final long size;
        final AtomicLong peak = new AtomicLong();
        final AtomicLong spilled = new AtomicLong();

        SmallDisk(Path root, long size) {
            this.root = root;
            this.size = size;
        }

        @Override
        public long usableSpace(Path dir) {
            return size - used(root);
        }

        @Override
        public long reserve(Path dir) {
            return RESERVE;
        }

        @Override
        public OutputStream create(Path file) throws IOException {
            return new FilterOutputStream(WorkDisk.REAL.create(file)) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                    spilled.addAndGet(len);
                    peak.accumulateAndGet(used(root), Math::max);
                }
            };
        }
    }

    @Test
    void aDiskFarSmallerThanTheDumpGetsEveryRowAndNoSpillBeyondItsRoom(@TempDir Path workDir) throws Exception {
        // Less than a table's spill (its 12 MB less the 4 MB in memory): the reader waits for the loader until the
        // rest of the table fits, and only that goes to disk.
        long room = 4 * MB;
        SmallDisk disk = new SmallDisk(workDir, Importer.streamedNeed(manifest, RESERVE) + room);
        assertThat(disk.size).as("the simulated disk").isLessThan(dumpSize(manifest));
        String target = target();

        ImportResult result = new Importer(PgToolLocator.fromSystemEnvironment(), Reporter.SILENT, disk)
                .importArchive(options(target, workDir));

        assertThat(result.check().passed()).isTrue();
        try (Connection c = new TestDatabase(server, target).connect()) {
            for (String table : List.of("ants", "bees", "wasps")) {
                assertThat(count(c, "select count(*) from " + table)).as(table).isEqualTo(ROWS);
            }
            assertThat(count(c, "select count(*) from pg_largeobject_metadata")).isEqualTo(1);
        }
        assertThat(disk.spilled.get()).as("some table data went through the disk").isPositive();
        assertThat(disk.peak.get()).as("the spill files never reached into the reserve")
                .isLessThanOrEqualTo(disk.size - RESERVE);
    }

    @Test
    void theClassicImportOnTheSameDiskIsRefusedBeforeItUnpacks(@TempDir Path workDir) throws Exception {
        SmallDisk disk = new SmallDisk(workDir, Importer.streamedNeed(manifest, RESERVE) + 10 * MB);
        String target = target();
        try (Connection admin = server.connectAdmin()) {
            admin.createStatement().execute("create database " + target); // the user's: verified whole, unpacked
        }

        assertThatThrownBy(() -> new Importer(PgToolLocator.fromSystemEnvironment(), Reporter.SILENT, disk)
                .importArchive(options(target, workDir)))
                .isInstanceOfSatisfying(DbToolException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.RUNTIME))
                .hasMessageStartingWith("unpacking needs " + Importer.readable(dumpSize(manifest)) + " but " + workDir
                        + " has ")
                .hasMessageEndingWith(" free; free space or set DBTOOL_WORK_DIR");
        try (Connection c = new TestDatabase(server, target).connect()) {
            assertThat(count(c, "select count(*) from pg_class where relname in ('ants', 'bees', 'wasps')")).isZero();
        }
    }

    @Test
    void aDiskThatFillsMidStreamIsOneLineAndTheCreatedDatabaseIsDropped(@TempDir Path workDir) throws Exception {
        WorkDisk full = new WorkDisk() {
            @Override
            public long usableSpace(Path dir) {
                return 1L << 40; // statfs says there is room; another process takes it meanwhile
            }

            @Override
            public OutputStream create(Path file) {
                return new OutputStream() {
                    @Override
                    public void write(int b) throws IOException { // OutputStream writes arrays byte by byte
                        throw new IOException("No space left on device");
                    }
                };
            }
        };
        String target = target();

        assertThatThrownBy(() -> new Importer(PgToolLocator.fromSystemEnvironment(), Reporter.SILENT, full)
                .importArchive(options(target, workDir)))
                .isInstanceOfSatisfying(DbToolException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.RUNTIME))
                .hasMessage("disk full while restoring (work directory on the disk of DBTOOL_WORK_DIR): free space or"
                        + " set DBTOOL_WORK_DIR to a larger disk; the database it had created was dropped again");
        try (Connection admin = server.connectAdmin(); ResultSet rs = admin.createStatement()
                .executeQuery("select count(*) from pg_database where datname = '" + target + "'")) {
            rs.next();
            assertThat(rs.getLong(1)).as("no half-restored database left").isZero();
        }
    }

    private static long count(Connection c, String sql) throws Exception {
        try (ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
