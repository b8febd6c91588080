package dbtool.pg;

import java.nio.file.Path;

/** One installed pg_dump or pg_restore binary and the version it reports. */
public record PgTool(String name, Path executable, PgVersion version) {}
