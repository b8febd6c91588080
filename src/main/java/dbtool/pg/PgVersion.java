package dbtool.pg;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A PostgreSQL version as pg_dump --version or server_version_num report it. */
public record PgVersion(int major, int minor) implements Comparable<PgVersion> {

    private static final Pattern TOOL_OUTPUT = Pattern.compile("\\(PostgreSQL\\)\\s+(\\d+)(?:\\.(\\d+))?");

    /** Parses "pg_dump (PostgreSQL) 15.19 (Debian 15.19-0+deb12u1)". */
    public static PgVersion parseToolOutput(String output) {
        Matcher m = TOOL_OUTPUT.matcher(output);
        if (!m.find()) {
            throw new IllegalArgumentException("not a PostgreSQL tool version: " + output.strip());
        }
        return new PgVersion(Integer.parseInt(m.group(1)), m.group(2) == null ? 0 : Integer.parseInt(m.group(2)));
    }

    /** Parses server_version_num, e.g. 150019 or (before 10) 90624. */
    public static PgVersion fromVersionNum(int num) {
        return num >= 100000 ? new PgVersion(num / 10000, num % 10000) : new PgVersion(num / 100, num % 100);
    }

    @Override
    public int compareTo(PgVersion o) {
        return major != o.major ? Integer.compare(major, o.major) : Integer.compare(minor, o.minor);
    }

    @Override
    public String toString() {
        return major + "." + minor;
    }
}
