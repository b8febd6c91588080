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
        if (manifest.tables() == null || manifest.files() == null) {
            throw DbToolException.archive(archiveName + ": manifest.json lacks tables or files; the archive is damaged");
        }
        return manifest;
    }
}
