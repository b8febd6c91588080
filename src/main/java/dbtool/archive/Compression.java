package dbtool.archive;

import dbtool.DbToolException;
import java.util.Arrays;

/** The outer codec of an archive, chosen with --compress. */
public enum Compression {
    GZIP("gzip", ".tar.gz"),
    ZSTD("zstd", ".tar.zst"),
    NONE("none", ".tar");

    private final String cliName;
    private final String extension;

    Compression(String cliName, String extension) {
        this.cliName = cliName;
        this.extension = extension;
    }

    public String cliName() {
        return cliName;
    }

    public String extension() {
        return extension;
    }

    public static Compression fromCliName(String name) {
        return Arrays.stream(values()).filter(c -> c.cliName.equalsIgnoreCase(name)).findFirst()
                .orElseThrow(() -> DbToolException.usage("unknown compression '" + name + "'; use gzip, zstd or none"));
    }

    /** Recognises the codec from the first bytes, so a renamed archive still opens. */
    public static Compression sniff(byte[] head, int length) {
        if (length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
            return GZIP;
        }
        if (length >= 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5 && (head[2] & 0xff) == 0x2f
                && (head[3] & 0xff) == 0xfd) {
            return ZSTD;
        }
        return NONE;
    }
}
