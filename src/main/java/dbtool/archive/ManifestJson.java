package dbtool.archive;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dbtool.DbToolException;
import java.io.IOException;

/** manifest.json reading and writing; unknown fields from newer versions are tolerated, a newer format is not. */
public final class ManifestJson {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private ManifestJson() {}

    /** Builds the mapper and its manifest deserializers ahead of the first {@link #read}, e.g. on a spare core. */
    public static void warmUp() {
        try {
            MAPPER.readValue("{}", Manifest.class);
        } catch (IOException | RuntimeException ignored) {
            // only the set-up mattered; a real read reports its own problems
        }
    }

    public static byte[] write(Manifest manifest) {
        try {
            byte[] json = MAPPER.writeValueAsBytes(manifest);
            byte[] withNewline = new byte[json.length + 1];
            System.arraycopy(json, 0, withNewline, 0, json.length);
            withNewline[json.length] = '\n';
            return withNewline;
        } catch (IOException e) {
            throw new IllegalStateException("manifest cannot be serialised", e);
        }
    }

    public static Manifest read(byte[] json, String archiveName) {
        Manifest manifest;
        try {
            manifest = MAPPER.readValue(json, Manifest.class);
        } catch (IOException e) {
            throw DbToolException.archive(archiveName + ": manifest.json is not valid JSON; the archive is damaged"
                    + " or not a dbtool archive");
        }
        if (!Manifest.FORMAT.equals(manifest.format())) {
            throw DbToolException.archive(archiveName + ": not a dbtool archive (manifest format is '"
                    + manifest.format() + "')");
        }
        if (manifest.formatVersion() > Manifest.FORMAT_VERSION) {
            throw DbToolException.archive(archiveName + ": archive format " + manifest.formatVersion()
                    + " is newer than this dbtool understands (" + Manifest.FORMAT_VERSION + "); upgrade dbtool");
        }
        if (manifest.formatVersion() < Manifest.FIRST_FORMAT_VERSION) {
            throw DbToolException.archive(archiveName + ": manifest.json has no valid format_version; the archive is damaged");
        }
        requireFields(manifest, archiveName);
        return manifest;
    }

    /** Fields every reader relies on: a missing one is a damaged archive (exit 4) named here, not a crash later. */
    private static void requireFields(Manifest m, String archiveName) {
        require(m.createdAt(), "created_at", archiveName);
        require(m.pgDumpVersion(), "pg_dump_version", archiveName);
        require(m.tables(), "tables", archiveName);
        require(m.files(), "files", archiveName);
        require(m.extensions(), "extensions", archiveName);
        if (!m.pgDumpVersion().matches("\\d+(\\.\\d+)*.*")) {
            throw DbToolException.archive(archiveName + ": manifest.json field 'pg_dump_version' is '" + m.pgDumpVersion()
                    + "', not a version; the archive is damaged or not a dbtool archive");
        }
        for (Manifest.Table t : m.tables()) {
            require(t, "tables[]", archiveName);
            require(t.schema(), "tables[].schema", archiveName);
            require(t.name(), "tables[].name", archiveName);
            require(t.kind(), "tables[].kind", archiveName);
        }
        for (Manifest.FileEntry f : m.files()) {
            require(f, "files[]", archiveName);
            require(f.path(), "files[].path", archiveName);
        }
        m.extensions().forEach(e -> require(e == null ? null : e.name(), "extensions[].name", archiveName));
    }

    private static void require(Object value, String field, String archiveName) {
        if (value == null) {
            throw DbToolException.archive(archiveName + ": manifest.json lacks the field '" + field
                    + "'; the archive is damaged or was not written by dbtool");
        }
    }
}
