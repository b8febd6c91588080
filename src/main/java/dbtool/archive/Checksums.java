package dbtool.archive;

import dbtool.DbToolException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The SHA256SUMS entry and the .sha256 sidecar, both in the format {@code sha256sum -c} reads. */
public final class Checksums {

    private static final Pattern LINE = Pattern.compile("([0-9a-f]{64}) [ *](.+)");

    private final Map<String, String> byName;

    public Checksums(Map<String, String> byName) {
        this.byName = Map.copyOf(byName);
    }

    public Map<String, String> byName() {
        return byName;
    }

    public byte[] toBytes(Iterable<String> order) {
        StringBuilder out = new StringBuilder();
        for (String name : order) {
            out.append(byName.get(name)).append("  ").append(name).append('\n');
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    public static Checksums parse(byte[] content, String what) {
        Map<String, String> byName = new LinkedHashMap<>();
        for (String line : new String(content, StandardCharsets.UTF_8).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            Matcher m = LINE.matcher(line.strip());
            if (!m.matches()) {
                throw DbToolException.archive(what + " has a malformed line; the archive is damaged");
            }
            byName.put(m.group(2), m.group(1));
        }
        return new Checksums(byName);
    }

    /** The sidecar names the archive by its file name only, so archive and sidecar can move together. */
    public static String sidecarLine(String sha256, String archiveFileName) {
        return sha256 + "  " + archiveFileName + "\n";
    }
}
