package dbtool.archive;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.testing.CliRun;
import dbtool.testing.CliUrls;
import dbtool.testing.PgServers;
import dbtool.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Archives written before format 3 (manifest.json first), committed as written by dbtool's main branch of
 * 2026-12-01 (export of a database with items: 3000 rows, notes: 500 rows), still inspect, verify and import, and
 * a damaged one is still refused.
 */
class OldLayoutArchiveIT {

    @TempDir
    Path dir;

    private Path fixture(String name) throws IOException {
        for (String file : new String[] {name, name + ".sha256"}) {
            try (InputStream in = getClass().getResourceAsStream("/archives/" + file)) {
                Files.copy(in, dir.resolve(file));
            }
        }
        return dir.resolve(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"old-layout.tar.gz", "old-layout.tar.zst"})
    void manifestFirstArchivesStillInspectVerifyAndImport(String name) throws Exception {
        Path archive = fixture(name);
        try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
                name.endsWith(".gz") ? new java.util.zip.GZIPInputStream(Files.newInputStream(archive))
                        : new com.github.luben.zstd.ZstdInputStream(Files.newInputStream(archive)))) {
            assertThat(tar.getNextEntry().getName()).isEqualTo(ArchiveLayout.MANIFEST); // really the old layout
        }
        assertThat(ArchiveReader.readManifest(archive).formatVersion()).isEqualTo(1);

        CliRun inspect = CliRun.of("inspect", archive.toString());
        assertThat(inspect.exitCode()).as(inspect.toString()).isZero();
        assertThat(inspect.out()).contains("public.items", "public.notes", "3000");

        CliRun verify = CliRun.of("verify", archive.toString());
        assertThat(verify.exitCode()).as(verify.toString()).isZero();
        assertThat(verify.out()).contains("sidecar matches");

        TestServer server = PgServers.defaultServer();
        String target = "oldlayout_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try {
            CliRun imported = CliRun.of("import", archive.toString(), "--url", CliUrls.superuser(server, target));
            assertThat(imported.exitCode()).as(imported.toString()).isZero();
            assertThat(imported.lastOutLine()).contains("2 tables, 3500 rows");
        } finally {
            server.dropDatabase(target);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"old-layout.tar.gz", "old-layout.tar.zst"})
    void aDamagedOldArchiveIsStillRefused(String name) throws Exception {
        Path archive = fixture(name);
        byte[] bytes = Files.readAllBytes(archive);
        bytes[bytes.length / 2] ^= 0x20;
        Files.write(archive, bytes);
        Files.delete(dir.resolve(name + ".sha256")); // the checks inside the archive alone must catch it
        CliRun verify = CliRun.of("verify", archive.toString());
        assertThat(verify.exitCode()).as(verify.toString()).isEqualTo(4);
        assertThat(verify.errLines()).hasSize(1);
    }
}
