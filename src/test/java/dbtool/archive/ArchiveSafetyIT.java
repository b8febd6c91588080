package dbtool.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dbtool.testing.CliRun;
import dbtool.testing.CliUrls;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An archive that was damaged or crafted must never reach a database: verify and import exit 4 with
 * one line, the target is untouched, and nothing is written outside the import's work directory.
 * One real export is shared by all tests (PER_CLASS instance state, not static); each test mutates a copy.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ArchiveSafetyIT {

    private TestServer server;
    private TestDatabase source;
    private Path exportDir;
    private Path original;

    @BeforeAll
    void exportASmallRealDatabase(@TempDir Path dir) {
        server = PgServers.defaultServer();
        source = server.createDatabase("archsafe_src");
        source.execute("create table cats(id int primary key, name text not null)",
                "insert into cats select g, 'cat ' || g from generate_series(1, 500) g",
                // Random text compresses badly, so the data file is big and a flip in the middle hits it.
                "create table events(id bigint primary key, payload text)",
                "insert into events select g, md5(random()::text) || md5(random()::text) from generate_series(1, 20000) g");
        exportDir = dir;
        CliRun run = CliRun.of("export", "--url", CliUrls.superuser(source), "--output", dir.toString(), "-q");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        original = Path.of(run.lastOutLine());
        assertThat(original).isRegularFile();
        assertThat(ArchiveReader.sidecarOf(original)).isRegularFile();
        assertThat(CliRun.of("verify", original.toString()).exitCode()).isZero();
    }

    @AfterAll
    void dropSource() {
        if (source != null) {
            source.drop();
        }
    }

    /** A copy of the good archive (and its sidecar, when wanted) in a directory of its own. */
    private Path copy(Path dir, boolean withSidecar) throws IOException {
        Path archive = Files.copy(original, dir.resolve(original.getFileName()));
        if (withSidecar) {
            Files.copy(ArchiveReader.sidecarOf(original), ArchiveReader.sidecarOf(archive));
        }
        return archive;
    }

    private static void flip(Path file, long position) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[(int) position] ^= 0x20;
        Files.write(file, bytes);
    }

    /**
     * One error line. A streamed import (into a database it creates) may have said what it did before the damage
     * showed: creating the database, restoring into it, dropping it again; those are timestamped info lines.
     */
    private static void assertOneLineFailure(CliRun run, int code) {
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(code);
        List<String> lines = run.errLines().stream().filter(l -> !l.matches("\\d{4}-\\d\\d-\\d\\dT\\S+Z info .*")).toList();
        assertThat(lines).as(run.toString()).hasSize(1);
        assertThat(lines.get(0)).startsWith("dbtool: error:");
        assertThat(run.err()).doesNotContain("at dbtool.").doesNotContain("Exception");
    }

    private String freshDatabaseName() {
        return "archsafe_target_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    private boolean databaseExists(String name) throws SQLException {
        try (Connection c = server.connectAdmin();
                PreparedStatement ps = c.prepareStatement("select 1 from pg_database where datname = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** import into a database that does not exist: refused with exit 4, and it is still not there. */
    private CliRun importIntoFreshTarget(Path archive) throws SQLException, IOException {
        String target = freshDatabaseName();
        CliRun run = CliRun.of("import", archive.toString(), "--url", CliUrls.superuser(server, target));
        assertThat(databaseExists(target)).as("import must not create the target: " + run).isFalse();
        assertNoWorkLeftovers(archive.getParent());
        IgzipInputStreamTest.assertNoIgzipLeft();
        return run;
    }

    /**
     * verify and import inflate with igzip where it is installed; zlib in this JVM (igzip missing) must refuse the
     * same archive. Without igzip all is inflated by the JVM's reader, so this passes there too.
     */
    private static void assertTheJvmReaderRefusesItToo(Path archive) {
        assertThatThrownBy(() -> ArchiveReader.read(ArchiveInput.of(archive), null, n -> { }, dbtool.crypto.Decryptor.NONE,
                null, null, java.util.Optional.empty()))
                .isInstanceOfSatisfying(dbtool.DbToolException.class, e -> assertThat(e.exitCode()).isEqualTo(dbtool.ExitCode.ARCHIVE));
    }

    /** The import unpacks next to the archive; whatever happens, its work directory is removed. */
    private static void assertNoWorkLeftovers(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .noneMatch(n -> n.startsWith(".dbtool-") || n.endsWith(".work") || n.endsWith(".partial"));
        }
    }

    // ---------------------------------------------------------------- damaged real archives

    /** Named positions; "end-N" counts from the end of the file. */
    static Stream<Arguments> flips() {
        return Stream.of(
                Arguments.of("gzip magic", "0", true), Arguments.of("gzip magic", "0", false),
                Arguments.of("gzip method", "2", true), Arguments.of("gzip flags", "3", false),
                Arguments.of("gzip mtime (only the sidecar covers it)", "5", true),
                Arguments.of("first tar header", "30", false),
                Arguments.of("first entry", "700", false),
                Arguments.of("a third in", "1/3", false), Arguments.of("middle", "1/2", true),
                Arguments.of("middle", "1/2", false), Arguments.of("two thirds in", "2/3", false),
                Arguments.of("near the end", "end-600", false), Arguments.of("near the end", "end-600", true),
                Arguments.of("gzip CRC", "end-8", false), Arguments.of("gzip size", "end-2", false),
                Arguments.of("last byte", "end-1", true));
    }

    private static long position(String spec, long size) {
        if (spec.startsWith("end-")) {
            return size - Long.parseLong(spec.substring(4));
        }
        if (spec.contains("/")) {
            String[] f = spec.split("/");
            return size * Long.parseLong(f[0]) / Long.parseLong(f[1]);
        }
        return Long.parseLong(spec);
    }

    @ParameterizedTest(name = "flipped byte in {0} ({1}), sidecar present: {2}")
    @MethodSource("flips")
    void flippedByteIsRefusedByVerifyAndImport(String where, String spec, boolean withSidecar, @TempDir Path dir)
            throws Exception {
        Path archive = copy(dir, withSidecar);
        flip(archive, position(spec, Files.size(archive)));
        assertOneLineFailure(CliRun.of("verify", archive.toString()), 4);
        assertOneLineFailure(importIntoFreshTarget(archive), 4);
        assertTheJvmReaderRefusesItToo(archive);
    }

    /**
     * Every inner byte is covered by SHA256SUMS, a tar header checksum, a stored-block length or the
     * gzip CRC: without a sidecar, verify must still catch a flip anywhere past the gzip header's
     * mtime/xfl/os bytes (4..9), which no decompressor checks, and byte 10: the first stored block's
     * header, whose bit 0x20 is deflate padding that every inflater ignores (only the sidecar covers
     * those; stored-block headers recur every 64 KiB, too rare for the seeded positions to hit).
     * verify only: cheap enough to sweep.
     */
    @Test
    void flipAnywhereIsCaughtWithoutTheSidecar(@TempDir Path dir) throws IOException {
        long size = Files.size(original);
        List<String> missed = new ArrayList<>();
        Random random = new Random(42); // fixed seed: a failure is reproducible
        List<Long> positions = new ArrayList<>(List.of(0L, 1L, 2L, 3L, 11L, size - 1, size - 4, size - 8));
        for (int i = 0; i < 60; i++) {
            positions.add(11 + (long) (random.nextDouble() * (size - 11)));
        }
        for (long p : positions) {
            Path archive = Files.copy(original, dir.resolve("a-" + p + ".tar.gz"));
            flip(archive, p);
            CliRun run = CliRun.of("verify", archive.toString());
            if (run.exitCode() != 4 || run.errLines().size() != 1) {
                missed.add(p + " of " + size + ": " + run);
            }
            try {
                ArchiveReader.read(ArchiveInput.of(archive), null, n -> { }, dbtool.crypto.Decryptor.NONE, null, null,
                        java.util.Optional.empty());
                missed.add(p + " of " + size + ": the JVM's reader accepted it");
            } catch (dbtool.DbToolException expected) {
                // refused, as it must be
            }
            Files.delete(archive);
        }
        assertThat(missed).isEmpty();
    }

    static Stream<Arguments> truncations() {
        return Stream.of(Arguments.of("1/2", true), Arguments.of("1/2", false), Arguments.of("end-1", false),
                Arguments.of("end-8", false), Arguments.of("end-20", false), Arguments.of("end-1100", false),
                Arguments.of("end-1", true), Arguments.of("100", false), Arguments.of("5", false));
    }

    @ParameterizedTest(name = "truncated at {0}, sidecar present: {1}")
    @MethodSource("truncations")
    void truncatedArchiveIsRefused(String spec, boolean withSidecar, @TempDir Path dir) throws Exception {
        Path archive = copy(dir, withSidecar);
        byte[] bytes = Files.readAllBytes(archive);
        Files.write(archive, java.util.Arrays.copyOf(bytes, (int) position(spec, bytes.length)));
        assertOneLineFailure(CliRun.of("verify", archive.toString()), 4);
        assertOneLineFailure(importIntoFreshTarget(archive), 4);
        assertTheJvmReaderRefusesItToo(archive);
    }

    /** Anything after the last gzip member (igzip alone ignores what does not start like a member). */
    @ParameterizedTest(name = "{0} appended, sidecar present: {1}")
    @org.junit.jupiter.params.provider.CsvSource({"GARBAGE, false", "GARBAGE, true", "0, false", "x, false"})
    void garbageAfterTheLastMemberIsRefused(String garbage, boolean withSidecar, @TempDir Path dir) throws Exception {
        Path archive = copy(dir, withSidecar);
        Files.write(archive, garbage.getBytes(StandardCharsets.US_ASCII), java.nio.file.StandardOpenOption.APPEND);
        assertOneLineFailure(CliRun.of("verify", archive.toString()), 4);
        assertOneLineFailure(importIntoFreshTarget(archive), 4);
        assertTheJvmReaderRefusesItToo(archive);
    }

    /** igzip inflates for verify and import where installed: no igzip process is left after either. */
    @Test
    void aGoodImportLeavesNoProcessBehind() throws Exception {
        String target = freshDatabaseName();
        try {
            CliRun run = CliRun.of("import", original.toString(), "--url", CliUrls.superuser(server, target), "-q");
            assertThat(run.exitCode()).as(run.toString()).isZero();
            assertThat(CliRun.of("verify", original.toString()).exitCode()).isZero();
            IgzipInputStreamTest.assertNoIgzipLeft();
        } finally {
            server.dropDatabase(target);
        }
    }

    /**
     * inspect reads only the archive's last member (manifest.json, SHA256SUMS): it still shows a manifest whose
     * archive is damaged in the middle, and says nothing about checksums; verify and import refuse it.
     */
    @Test
    void inspectReadsTheTailWhileVerifyAndImportRefuseTheDamage(@TempDir Path dir) throws Exception {
        Path archive = copy(dir, true);
        long size = Files.size(archive);
        byte[] bytes = Files.readAllBytes(archive);
        java.util.Arrays.fill(bytes, (int) (size / 4), (int) (size / 2), (byte) 0);
        Files.write(archive, bytes);
        CliRun inspect = CliRun.of("inspect", archive.toString());
        assertThat(inspect.exitCode()).as(inspect.toString()).isZero();
        assertThat(inspect.out()).contains("public.events", "20000");
        assertOneLineFailure(CliRun.of("verify", archive.toString()), 4);
        assertOneLineFailure(importIntoFreshTarget(archive), 4);
    }

    @Test
    void damagedArchiveLeavesAnExistingEmptyTargetEmpty(@TempDir Path dir) throws Exception {
        Path archive = copy(dir, false);
        flip(archive, Files.size(archive) / 2);
        TestDatabase target = server.createDatabase("archsafe_empty");
        try {
            assertOneLineFailure(CliRun.of("import", archive.toString(), "--url", CliUrls.superuser(target)), 4);
            assertThat(target.queryLong("select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                    + " where n.nspname = 'public'")).isZero();
        } finally {
            target.drop();
        }
    }

    // ---------------------------------------------------------------- not an archive

    @Test
    void randomBytesAreNotADbtoolArchive(@TempDir Path dir) throws Exception {
        byte[] noise = new byte[64 * 1024];
        new Random(7).nextBytes(noise);
        noise[0] = 0x42; // not a gzip/zstd magic by chance
        Path file = Files.write(dir.resolve("backup.tar.gz"), noise);
        assertNotAnArchive(file);
    }

    @Test
    void plainTextFileIsNotADbtoolArchive(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("dump.sql"), "-- PostgreSQL database dump\ncreate table t(id int);\n");
        assertNotAnArchive(file);
    }

    @Test
    void longTextFileIsNotADbtoolArchive(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("dump.sql"), "insert into t values (1);\n".repeat(2000));
        assertNotAnArchive(file);
    }

    /** A plain tar or a gzipped SQL file: real containers, but not dbtool's. */
    @Test
    void gzippedSqlIsNotADbtoolArchive(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("dump.sql.gz");
        try (OutputStream out = new GzipCompressorOutputStream(Files.newOutputStream(file))) {
            out.write("insert into t values (1);\n".repeat(2000).getBytes(StandardCharsets.UTF_8));
        }
        assertNotAnArchive(file);
    }

    @Test
    void tarWithoutManifestIsNotADbtoolArchive(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("other.tar.gz");
        writeTar(file, tar -> putFile(tar, "README", "hello".getBytes(StandardCharsets.UTF_8)));
        assertNotAnArchive(file);
    }

    /**
     * A small archive is one gzip member: a bad CRC stops the very first read, before any tar header. That is a
     * damaged archive, not another kind of file: the message must not send the user to check the file name.
     */
    @Test
    void damageBeforeTheFirstHeaderIsCalledDamage(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("small.tar.gz");
        writeTar(file, tar -> putFile(tar, "dump/toc.dat", "PGDMP".getBytes(StandardCharsets.UTF_8)));
        flip(file, Files.size(file) - 8); // the gzip CRC
        for (CliRun run : List.of(CliRun.of("verify", file.toString()), importIntoFreshTarget(file))) {
            assertOneLineFailure(run, 4);
            assertThat(run.err()).contains("damaged").doesNotContain("not a dbtool archive");
        }
    }

    private void assertNotAnArchive(Path file) throws Exception {
        for (CliRun run : List.of(CliRun.of("verify", file.toString()), CliRun.of("inspect", file.toString()),
                importIntoFreshTarget(file))) {
            assertOneLineFailure(run, 4);
            assertThat(run.err()).contains("not a dbtool archive");
        }
    }

    // ---------------------------------------------------------------- hostile archives

    private static final byte[] TOC = "TOC".getBytes(StandardCharsets.UTF_8);

    /** A manifest that passes every header check and lists exactly dump/toc.dat of 3 bytes. */
    private static byte[] manifest() {
        return ManifestJson.write(new Manifest(Manifest.FORMAT, 1, "0.1.0", "2026-01-01T00:00:00Z", "hostile",
                new Manifest.Source("127.0.0.1", 5432, "hostile", "postgres"), "15.13", "15.13", "directory", "gzip",
                "gzip:1", "snapshot", List.of(), List.of(), List.of(new Manifest.FileEntry("dump/toc.dat", TOC.length))));
    }

    /**
     * Format 3 puts the manifest last, so a crafted archive could start with huge entries the manifest never lists.
     * import reads the manifest from the tail first and refuses such an entry at its header, before unpacking a byte.
     */
    @Test
    void anUnlistedEntryBeforeTheManifestIsRefusedBeforeItIsUnpacked(@TempDir Path dir) throws Exception {
        Path archive = dir.resolve("crafted.tar.gz");
        byte[] big = new byte[16 << 20];
        new Random(7).nextBytes(big);
        writeTar(archive, tar -> {
            putFile(tar, "dump/9999.dat", big);
            putFile(tar, "dump/toc.dat", TOC);
            putFile(tar, "manifest.json", manifest());
            putSums(tar, Map.of("dump/toc.dat", TOC, "manifest.json", manifest()));
        });
        Manifest announced = ManifestJson.read(manifest(), "crafted");
        Path extractTo = Files.createDirectory(dir.resolve("work"));
        long[] read = {0};

        assertThatThrownBy(() -> ArchiveReader.read(ArchiveInput.of(archive), extractTo, n -> read[0] += n,
                dbtool.crypto.Decryptor.NONE, announced))
                .isInstanceOfSatisfying(dbtool.DbToolException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(dbtool.ExitCode.ARCHIVE);
                    assertThat(e.getMessage()).contains("unexpected entry 'dump/9999.dat'", "not listed in the manifest");
                });
        assertThat(read[0]).as("bytes of the archive read before refusing").isLessThan(big.length / 2);
        assertThat(extractTo.resolve("dump/9999.dat")).doesNotExist();

        // Without the announced manifest the same archive is still refused, but only once the manifest arrives.
        read[0] = 0;
        Path again = Files.createDirectory(dir.resolve("work2"));
        assertThatThrownBy(() -> ArchiveReader.read(ArchiveInput.of(archive), again, n -> read[0] += n,
                dbtool.crypto.Decryptor.NONE)).isInstanceOf(dbtool.DbToolException.class);
        assertThat(read[0]).isGreaterThan(big.length / 2);
    }

    interface TarBody {
        void write(TarArchiveOutputStream tar) throws IOException;
    }

    /** manifest.json, then the hostile part, then a SHA256SUMS that lists what was written. */
    private static void writeTar(Path file, TarBody body) throws IOException {
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(
                new GzipCompressorOutputStream(Files.newOutputStream(file)))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            body.write(tar);
            tar.finish();
        }
    }

    private static void putFile(TarArchiveOutputStream tar, String name, byte[] content) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, name.startsWith("/"));
        e.setSize(content.length);
        tar.putArchiveEntry(e);
        tar.write(content);
        tar.closeArchiveEntry();
    }

    private static void putSpecial(TarArchiveOutputStream tar, String name, byte type, String linkTarget)
            throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, type);
        if (linkTarget != null) {
            e.setLinkName(linkTarget);
        }
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    private static void putSums(TarArchiveOutputStream tar, Map<String, byte[]> files) throws IOException {
        StringBuilder sums = new StringBuilder();
        files.forEach((name, content) -> sums.append(Sha256.hex(content)).append("  ").append(name).append('\n'));
        putFile(tar, ArchiveLayout.CHECKSUMS, sums.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** A hostile archive: the valid manifest and toc.dat, the given hostile entries, SHA256SUMS. */
    private static TarBody hostile(Consumer<Map<String, byte[]>> extraSums, TarBody evil) {
        return tar -> {
            Map<String, byte[]> files = new LinkedHashMap<>();
            files.put(ArchiveLayout.MANIFEST, manifest());
            putFile(tar, ArchiveLayout.MANIFEST, manifest());
            evil.write(tar);
            putFile(tar, "dump/toc.dat", TOC);
            files.put("dump/toc.dat", TOC);
            extraSums.accept(files);
            putSums(tar, files);
        };
    }

    static Stream<Arguments> hostileArchives() {
        String absolute = "/tmp/evil-" + UUID.randomUUID();
        byte[] payload = "owned\n".getBytes(StandardCharsets.UTF_8);
        Consumer<Map<String, byte[]>> none = m -> { };
        return Stream.of(
                Arguments.of("../evil", hostile(m -> m.put("../evil", payload), t -> putFile(t, "../evil", payload)), List.of("evil")),
                Arguments.of("dump/../../evil", hostile(none, t -> putFile(t, "dump/../../evil", payload)), List.of("evil")),
                Arguments.of("absolute path", hostile(none, t -> putFile(t, absolute, payload)), List.of(absolute)),
                Arguments.of("symlink dump/link -> /etc/passwd",
                        hostile(none, t -> putSpecial(t, "dump/link", TarConstants.LF_SYMLINK, "/etc/passwd")), List.of("dump/link")),
                Arguments.of("symlink named like a listed file", tarBody(t -> {
                    putFile(t, ArchiveLayout.MANIFEST, manifest());
                    putSpecial(t, "dump/toc.dat", TarConstants.LF_SYMLINK, "/etc/passwd");
                }), List.of()),
                Arguments.of("symlink to a directory, then a file through it", tarBody(t -> {
                    putFile(t, ArchiveLayout.MANIFEST, manifest());
                    putSpecial(t, "dump", TarConstants.LF_SYMLINK, "/tmp");
                    putFile(t, "dump/toc.dat", TOC);
                }), List.of()),
                Arguments.of("hardlink", hostile(none, t -> putSpecial(t, "dump/hard", TarConstants.LF_LINK, "/etc/passwd")), List.of("dump/hard")),
                Arguments.of("character device", hostile(none, t -> putSpecial(t, "dump/dev", TarConstants.LF_CHR, null)), List.of("dump/dev")),
                Arguments.of("fifo", hostile(none, t -> putSpecial(t, "dump/fifo", TarConstants.LF_FIFO, null)), List.of("dump/fifo")),
                Arguments.of("entry not in the manifest",
                        hostile(m -> m.put("dump/extra.dat", payload), t -> putFile(t, "dump/extra.dat", payload)), List.of("dump/extra.dat")),
                Arguments.of("hidden entry", hostile(none, t -> putFile(t, ".bashrc", payload)), List.of(".bashrc")),
                Arguments.of("entry larger than the manifest says", tarBody(t -> {
                    putFile(t, ArchiveLayout.MANIFEST, manifest());
                    putFile(t, "dump/toc.dat", "TOC and a lot more than three bytes".getBytes(StandardCharsets.UTF_8));
                }), List.of()),
                Arguments.of("listed file twice", tarBody(t -> {
                    putFile(t, ArchiveLayout.MANIFEST, manifest());
                    putFile(t, "dump/toc.dat", TOC);
                    putFile(t, "dump/toc.dat", TOC);
                }), List.of()));
    }

    private static TarBody tarBody(TarBody body) {
        return body;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileArchives")
    void hostileArchiveIsRefusedAndWritesNothingOutside(String what, TarBody body, List<String> wouldBe,
            @TempDir Path dir) throws Exception {
        Path inbox = Files.createDirectory(dir.resolve("inbox"));
        Path archive = inbox.resolve("hostile.tar.gz");
        writeTar(archive, body);
        byte[] passwd = Files.exists(Path.of("/etc/passwd")) ? Files.readAllBytes(Path.of("/etc/passwd")) : null;

        assertOneLineFailure(CliRun.of("verify", archive.toString()), 4);
        assertOneLineFailure(importIntoFreshTarget(archive), 4);

        // The import's work directory is a child of inbox: "../x" from it or from its dump/ lands in inbox or dir.
        for (String name : wouldBe) {
            for (Path candidate : List.of(Path.of(name), inbox.resolve(name), dir.resolve(name),
                    inbox.resolve(Path.of(name).getFileName()), dir.resolve(Path.of(name).getFileName()))) {
                if (candidate.isAbsolute() || !name.startsWith("/")) {
                    assertThat(candidate).as(what + ": nothing may be written at " + candidate).doesNotExist();
                }
            }
        }
        try (Stream<Path> left = Files.list(inbox)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("hostile.tar.gz");
        }
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("inbox");
        }
        if (passwd != null) {
            assertThat(Files.readAllBytes(Path.of("/etc/passwd"))).isEqualTo(passwd);
        }
    }

    /** A PAX header can rename an entry after the fact; the reader must judge the final name. */
    @Test
    void paxPathHeaderCannotSmuggleADotDotPath(@TempDir Path dir) throws Exception {
        Path archive = dir.resolve("pax.tar.gz");
        writeTar(archive, hostile(m -> { }, t -> {
            TarArchiveEntry e = new TarArchiveEntry("dump/harmless.dat");
            e.addPaxHeader("path", "../../pax-evil");
            e.setSize(3);
            t.putArchiveEntry(e);
            t.write(TOC);
            t.closeArchiveEntry();
        }));
        assertOneLineFailure(CliRun.of("verify", archive.toString()), 4);
        assertOneLineFailure(importIntoFreshTarget(archive), 4);
        assertThat(dir.resolve("pax-evil")).doesNotExist();
        assertThat(dir.getParent().resolve("pax-evil")).doesNotExist();
    }

    /** Sanity check of the hostile-archive builder: the same construction without the evil part verifies. */
    @Test
    void builderWithoutHostileEntryGivesAnArchiveThatVerifies(@TempDir Path dir) throws Exception {
        Path archive = dir.resolve("fine.tar.gz");
        writeTar(archive, hostile(m -> { }, t -> { }));
        CliRun run = CliRun.of("verify", archive.toString());
        assertThat(run.exitCode()).as(run.toString()).isZero();
    }

    @SuppressWarnings("unused")
    private static byte[] bytes(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }
}
