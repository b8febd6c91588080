package dbtool.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dbtool.DbToolException;
import dbtool.ExitCode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * manifest.json is read by every later dbtool version and by people: its bytes must not drift by
 * accident (field order, null handling, indentation). A deliberate change updates the golden file.
 */
class ManifestJsonTest {

    static Manifest fixed() {
        return new Manifest(Manifest.FORMAT, 1, "0.1.0", "2026-11-25T23:00:38Z", "old",
                new Manifest.Source("db.example.com", 5432, "catlovers", "postgres"),
                "15.13", "15.20", "directory", "gzip", "gzip:1", "snapshot",
                List.of(new Manifest.Table("public", "cats", Manifest.Table.TABLE, 42L, 8192, null),
                        new Manifest.Table("public", "events", Manifest.Table.PARTITIONED, null, 0, null),
                        new Manifest.Table("public", "cat_stats", Manifest.Table.MATERIALIZED_VIEW, null, 16384, false)),
                List.of(new Manifest.Extension("plpgsql", "1.0"), new Manifest.Extension("pgcrypto", "1.3")),
                List.of(new Manifest.FileEntry("dump/toc.dat", 2048), new Manifest.FileEntry("dump/3345.dat.gz", 120)));
    }

    private static byte[] golden() throws IOException {
        try (InputStream in = ManifestJsonTest.class.getResourceAsStream("/golden/manifest.json")) {
            assertThat(in).as("src/test/resources/golden/manifest.json").isNotNull();
            return in.readAllBytes();
        }
    }

    @Test
    void fixedManifestSerialisesByteIdenticallyToTheGoldenFile() throws IOException {
        byte[] written = ManifestJson.write(fixed());
        assertThat(new String(written, StandardCharsets.UTF_8)).isEqualTo(new String(golden(), StandardCharsets.UTF_8));
        assertThat(written).isEqualTo(golden());
    }

    @Test
    void goldenFileReadsBackToTheSameManifest() throws IOException {
        assertThat(ManifestJson.read(golden(), "golden.tar.gz")).isEqualTo(fixed());
    }

    @Test
    void manifestNeverHoldsAPasswordField() throws IOException {
        assertThat(new String(golden(), StandardCharsets.UTF_8)).doesNotContainIgnoringCase("password");
    }

    @Test
    void unknownFieldsOfANewerMinorAreTolerated() throws IOException {
        String json = new String(golden(), StandardCharsets.UTF_8).replace("\"format_version\" : 1,",
                "\"format_version\" : 1,\n  \"something_new\" : {\"x\": 1},");
        assertThat(json).contains("something_new");
        assertThat(ManifestJson.read(json.getBytes(StandardCharsets.UTF_8), "a.tar.gz")).isEqualTo(fixed());
    }

    /** Everything version 2 added: database properties, what a partial export left out, globals.sql. */
    static Manifest fixedV2() {
        Manifest v1 = fixed();
        return new Manifest(v1.format(), 2, v1.toolVersion(), v1.createdAt(), v1.project(), v1.source(), v1.serverVersion(),
                v1.pgDumpVersion(), v1.dumpFormat(), v1.compression(), v1.dumpCompression(), v1.rowCounts(), v1.tables(),
                v1.extensions(), List.of(new Manifest.FileEntry("dump/toc.dat", 2048), new Manifest.FileEntry("globals.sql", 512)),
                new Manifest.Database("cat_owner", "the cat lovers' database",
                        List.of("search_path=\"$user\", public", "TimeZone=Europe/Berlin"),
                        List.of(new Manifest.RoleSettings("cat_app", List.of("work_mem=8MB"))),
                        List.of(new Manifest.Grant("PUBLIC", "CONNECT", false), new Manifest.Grant("cat_app", "CREATE", true))),
                new Manifest.Partial(List.of("public"), List.of("audit_*")),
                new Manifest.Globals("globals.sql", false));
    }

    private static byte[] goldenV2() throws IOException {
        try (InputStream in = ManifestJsonTest.class.getResourceAsStream("/golden/manifest-v2.json")) {
            assertThat(in).as("src/test/resources/golden/manifest-v2.json").isNotNull();
            return in.readAllBytes();
        }
    }

    @Test
    void versionTwoManifestSerialisesByteIdenticallyToItsGoldenFileAndReadsBack() throws IOException {
        if (Boolean.getBoolean("golden.update")) {
            java.nio.file.Files.write(java.nio.file.Path.of("src/test/resources/golden/manifest-v2.json"), ManifestJson.write(fixedV2()));
        }
        assertThat(new String(ManifestJson.write(fixedV2()), StandardCharsets.UTF_8))
                .isEqualTo(new String(goldenV2(), StandardCharsets.UTF_8));
        assertThat(ManifestJson.read(goldenV2(), "v2.tar.gz")).isEqualTo(fixedV2());
        assertThat(new String(goldenV2(), StandardCharsets.UTF_8)).doesNotContainIgnoringCase("password\"");
    }

    /** An archive written before version 2 existed has none of its fields, and reads as such. */
    @Test
    void versionOneManifestReadsWithoutTheNewFields() throws IOException {
        Manifest old = ManifestJson.read(golden(), "old.tar.gz");
        assertThat(old.formatVersion()).isEqualTo(1);
        assertThat(old.database()).isNull();
        assertThat(old.partial()).isNull();
        assertThat(old.hasGlobals()).isFalse();
    }

    @Test
    void newerFormatVersionIsArchiveUnusableAndSaysUpgrade() throws IOException {
        String json = new String(golden(), StandardCharsets.UTF_8).replace("\"format_version\" : 1,", "\"format_version\" : 4,");
        assertThat(json).contains("\"format_version\" : 4,");
        assertThatThrownBy(() -> ManifestJson.read(json.getBytes(StandardCharsets.UTF_8), "a.tar.gz"))
                .isInstanceOfSatisfying(DbToolException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCode.ARCHIVE);
                    assertThat(e.getMessage()).contains("a.tar.gz", "4", "upgrade dbtool");
                });
    }

    @Test
    void otherFormatOrBrokenJsonIsNotADbtoolArchive() {
        for (String json : List.of("{\"format\":\"something-else\",\"format_version\":1,\"tables\":[],\"files\":[]}",
                "{ not json", "[]", "{\"format\":\"dbtool-archive\",\"format_version\":1}")) {
            assertThatThrownBy(() -> ManifestJson.read(json.getBytes(StandardCharsets.UTF_8), "a.tar.gz"))
                    .as(json)
                    .isInstanceOfSatisfying(DbToolException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.ARCHIVE));
        }
    }

    /** A hand-edited or damaged manifest: exit 4 naming the field, not a NullPointerException later in import. */
    @Test
    void aMissingRequiredFieldIsArchiveUnusableNamingTheField() throws IOException {
        String golden = new String(golden(), StandardCharsets.UTF_8);
        for (String field : List.of("pg_dump_version", "created_at", "extensions")) {
            String json = golden.replaceFirst("\\s*\"" + field + "\"\\s*:\\s*(\"[^\"]*\"|\\[[^\\]]*\\])\\s*,", "");
            assertThat(json).as(field).doesNotContain("\"" + field + "\"");
            assertThatThrownBy(() -> ManifestJson.read(json.getBytes(StandardCharsets.UTF_8), "a.tar.gz"))
                    .as(field)
                    .isInstanceOfSatisfying(DbToolException.class, e -> {
                        assertThat(e.exitCode()).isEqualTo(ExitCode.ARCHIVE);
                        assertThat(e.getMessage()).contains("'" + field + "'");
                    });
        }
    }
}
