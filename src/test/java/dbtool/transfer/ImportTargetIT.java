package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.archive.ArchiveLayout;
import dbtool.archive.Manifest;
import dbtool.archive.ManifestJson;
import dbtool.archive.Sha256;
import dbtool.testing.CliRun;
import dbtool.testing.CliUrls;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
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
import java.util.UUID;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where an import goes, and what it refuses to overwrite. */
class ImportTargetIT {

    @TempDir
    Path dir;

    private TestServer server;
    private TestDatabase source;
    private final List<TestDatabase> targets = new ArrayList<>();

    @BeforeEach
    void source() {
        server = PgServers.defaultServer();
        source = server.createDatabase("imptgt_src");
        source.execute("create table cats(id int primary key, name text)",
                "insert into cats select g, 'cat ' || g from generate_series(1, 100) g",
                "create table dogs(id int primary key)", "insert into dogs select generate_series(1, 50)");
    }

    @AfterEach
    void drop() {
        source.drop();
        targets.forEach(TestDatabase::drop);
        for (TestDatabase t : targets) {
            databasesLike(t.name() + "\\_%").forEach(server::dropDatabase);
        }
    }

    /** Databases whose names match a LIKE pattern: what --clean keeps or creates beside a target. */
    private List<String> databasesLike(String pattern) {
        List<String> names = new ArrayList<>();
        try (Connection c = server.connectAdmin();
                PreparedStatement ps = c.prepareStatement("select datname from pg_database where datname like ?")) {
            ps.setString(1, pattern);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return names;
    }

    private TestDatabase target() {
        TestDatabase t = server.createDatabase("imptgt_dst");
        targets.add(t);
        return t;
    }

    private Path config(String name, Map<String, TestDatabase> projects) throws IOException {
        StringBuilder yaml = new StringBuilder("projects:\n");
        projects.forEach((project, db) -> yaml.append("  ").append(project).append(":\n    url: ").append(db.url())
                .append("\n    user: ").append(server.superuser()).append('\n'));
        return Files.writeString(dir.resolve(name), yaml.toString());
    }

    private Path export(String... extra) {
        List<String> args = new ArrayList<>(List.of("export", "--output", dir.resolve("dumps").toString(), "-q"));
        args.addAll(List.of(extra));
        if (!args.contains("--project")) {
            args.addAll(List.of("--url", CliUrls.superuser(source)));
        }
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertThat(run.exitCode()).as(run.toString()).isZero();
        return Path.of(run.lastOutLine());
    }

    private static void assertError(CliRun run, int code, String... fragments) {
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(code);
        String last = run.errLines().get(run.errLines().size() - 1);
        assertThat(last).as(run.toString()).startsWith("dbtool: error:").contains(fragments);
        assertThat(run.err()).doesNotContain("at dbtool.");
    }

    @Test
    void nonEmptyTargetIsRefusedAndKeepsItsData() {
        Path archive = export();
        TestDatabase target = target();
        target.execute("create table precious(x int)", "insert into precious values (1), (2), (3)");
        CliRun run = CliRun.of("import", archive.toString(), "--url", CliUrls.superuser(target));
        assertError(run, 2, "not empty", "--clean --yes");
        assertThat(target.queryLong("select count(*) from precious")).isEqualTo(3);
        assertThat(target.queryLong("select count(*) from pg_tables where tablename in ('cats', 'dogs')")).isZero();
    }

    @Test
    void cleanYesReplacesTheArchivesObjectsAndCountsMatch() {
        Path archive = export();
        TestDatabase target = target();
        target.execute("create table cats(id int primary key, name text)", "insert into cats values (-1, 'stale')");
        CliRun run = CliRun.of("import", archive.toString(), "--url", CliUrls.superuser(target), "--clean", "--yes");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(target.queryLong("select count(*) from cats")).isEqualTo(100);
        assertThat(target.queryLong("select count(*) from cats where id = -1")).isZero();
        assertThat(target.queryLong("select count(*) from dogs")).isEqualTo(50);
    }

    /**
     * pg_restore --clean could not drop a table a view depends on and appended to it (duplicates, no primary key).
     * --clean --yes now replaces the target exactly: only the archive's objects and rows, the old one kept aside.
     */
    @Test
    void cleanYesReplacesTheTargetExactlyEvenWithAViewOnAnArchivedTable() {
        Path archive = export();
        TestDatabase target = target();
        target.execute("create table cats(id int primary key, name text)",
                "insert into cats select g, 'old cat ' || g from generate_series(1, 300) g",
                "create view cat_names as select name from cats", "create table mine(x int)", "insert into mine values (7)");
        CliRun run = CliRun.of("import", archive.toString(), "--url", CliUrls.superuser(target), "--clean", "--yes");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(target.queryLong("select count(*) from cats")).isEqualTo(100);
        assertThat(target.queryLong("select count(distinct id) from cats")).isEqualTo(100);
        assertThat(target.queryLong("select count(*) from pg_constraint where conrelid = 'cats'::regclass and contype = 'p'"))
                .isEqualTo(1);
        assertThat(target.queryString("select to_regclass('cat_names')::text")).isNull();
        assertThat(target.queryString("select to_regclass('mine')::text")).isNull();

        List<String> kept = databasesLike(target.name() + "\\_before\\_%");
        assertThat(kept).as(run.toString()).hasSize(1);
        assertThat(run.out()).contains("kept as " + kept.get(0));
        TestDatabase previous = new TestDatabase(server, kept.get(0));
        assertThat(previous.queryLong("select count(*) from cats")).isEqualTo(300);
        assertThat(previous.queryLong("select count(*) from mine")).isEqualTo(1);
        assertThat(databasesLike(target.name() + "\\_dbtool\\_new\\_%")).isEmpty();
    }

    /** Replace or nothing: a restore that fails leaves the target as it was and no new database behind. */
    @Test
    void cleanYesWhoseRestoreFailsChangesNothing() {
        source.execute("create function written_here() returns boolean language sql as"
                        + " $$ select current_database() = '" + source.name() + "' $$",
                "create table guarded(id int, check (written_here()))", "insert into guarded values (1)");
        Path archive = export();
        TestDatabase target = target();
        target.execute("create table cats(id int primary key, name text)", "insert into cats values (-1, 'stale')");
        CliRun run = CliRun.of("import", archive.toString(), "--url", CliUrls.superuser(target), "--clean", "--yes");
        assertError(run, 1, "violates check constraint \"guarded_check\"", "was not changed");
        assertThat(target.queryLong("select count(*) from cats")).isEqualTo(1);
        assertThat(target.queryString("select to_regclass('dogs')::text")).isNull();
        assertThat(databasesLike(target.name() + "\\_%")).isEmpty();
    }

    /** Another session on the target: one line naming it, and nothing changed, instead of waiting forever. */
    @Test
    void cleanYesWithAnotherSessionOnTheTargetSaysSoAndChangesNothing() throws SQLException {
        Path archive = export();
        TestDatabase target = target();
        target.execute("create table cats(id int primary key, name text)", "insert into cats values (-1, 'stale')");
        try (Connection app = target.connect()) {
            CliRun run = CliRun.of("import", archive.toString(), "--url", CliUrls.superuser(target), "--clean", "--yes");
            assertError(run, 1, "other sessions use it", "pid ", "nothing was changed");
        }
        assertThat(target.queryLong("select count(*) from cats")).isEqualTo(1);
        assertThat(databasesLike(target.name() + "\\_%")).isEmpty();
    }

    @Test
    void withoutTargetTheArchivesProjectFromTheConfigIsUsed() throws IOException {
        Path archive = export("--config", config("export.yaml", Map.of("shop", source)).toString(), "--project", "shop");
        TestDatabase target = target();
        // On the importing side, the same project name points at another database.
        Path importConfig = config("import.yaml", Map.of("shop", target));
        CliRun run = CliRun.of("import", archive.toString(), "--config", importConfig.toString());
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(target.queryLong("select count(*) from cats")).isEqualTo(100);
        assertThat(target.queryLong("select count(*) from dogs")).isEqualTo(50);
    }

    @Test
    void withoutTargetAndProjectNotInConfigAsksForOne() throws IOException {
        Path archive = export("--config", config("export.yaml", Map.of("shop", source)).toString(), "--project", "shop");
        Path otherConfig = config("other.yaml", Map.of("somethingelse", target()));
        CliRun run = CliRun.of("import", archive.toString(), "--config", otherConfig.toString());
        assertError(run, 2, "'shop'", "--project", "--url");
        // Exported by --url: no project at all in the manifest.
        Path byUrl = export();
        assertError(CliRun.of("import", byUrl.toString(), "--config", otherConfig.toString()), 2, "--project", "--url");
    }

    @Test
    void missingExtensionOnTargetStopsBeforeAnythingIsRestored() throws Exception {
        Path archive = withExtraExtension(export(), "dbtool_no_such_extension");
        String fresh = "imptgt_fresh_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        CliRun run = CliRun.of("import", archive.toString(), "--url", CliUrls.superuser(server, fresh));
        assertError(run, 1, "dbtool_no_such_extension");
        assertThat(databaseExists(fresh)).as("the database the import created is dropped again").isFalse();

        TestDatabase empty = target();
        CliRun intoEmpty = CliRun.of("import", archive.toString(), "--url", CliUrls.superuser(empty));
        assertError(intoEmpty, 1, "dbtool_no_such_extension");
        assertThat(empty.queryLong("select count(*) from pg_tables where schemaname = 'public'")).isZero();
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

    /**
     * The archive as another server would have written it: its manifest lists one more extension.
     * SHA256SUMS is recomputed and the sidecar left out, so only the extension check can object.
     */
    private Path withExtraExtension(Path archive, String extension) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (InputStream in = GzipCompressorInputStream.builder().setPath(archive)
                        .setDecompressConcatenated(true).get(); // one gzip member per piece
                TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                entries.put(e.getName(), tar.readAllBytes());
            }
        }
        Manifest m = ManifestJson.read(entries.get(ArchiveLayout.MANIFEST), archive.toString());
        List<Manifest.Extension> extensions = new ArrayList<>(m.extensions());
        extensions.add(new Manifest.Extension(extension, "1.0"));
        Manifest changed = new Manifest(m.format(), m.formatVersion(), m.toolVersion(), m.createdAt(), m.project(),
                m.source(), m.serverVersion(), m.pgDumpVersion(), m.dumpFormat(), m.compression(), m.dumpCompression(),
                m.rowCounts(), m.tables(), extensions, m.files());
        entries.put(ArchiveLayout.MANIFEST, ManifestJson.write(changed));
        StringBuilder sums = new StringBuilder();
        entries.forEach((name, bytes) -> {
            if (!name.equals(ArchiveLayout.CHECKSUMS)) {
                sums.append(Sha256.hex(bytes)).append("  ").append(name).append('\n');
            }
        });
        entries.put(ArchiveLayout.CHECKSUMS, sums.toString().getBytes(StandardCharsets.UTF_8));
        Path out = Files.createDirectories(dir.resolve("edited")).resolve(archive.getFileName());
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(Files.newOutputStream(out)))) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                TarArchiveEntry entry = new TarArchiveEntry(e.getKey());
                entry.setSize(e.getValue().length);
                tar.putArchiveEntry(entry);
                tar.write(e.getValue());
                tar.closeArchiveEntry();
            }
        }
        CliRun verify = CliRun.of("verify", out.toString());
        assertThat(verify.exitCode()).as("the edited archive itself is sound: " + verify).isZero();
        return out;
    }
}
