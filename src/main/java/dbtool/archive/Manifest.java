package dbtool.archive;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * What an archive holds, written as manifest.json, the first entry of every archive. It never
 * contains a password. Field order is fixed so that equal inputs give byte-identical manifests.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Manifest(
        @JsonProperty("format") String format,
        @JsonProperty("format_version") int formatVersion,
        @JsonProperty("tool_version") String toolVersion,
        @JsonProperty("created_at") String createdAt,
        @JsonProperty("project") String project,
        @JsonProperty("source") Source source,
        @JsonProperty("server_version") String serverVersion,
        @JsonProperty("pg_dump_version") String pgDumpVersion,
        @JsonProperty("dump_format") String dumpFormat,
        @JsonProperty("compression") String compression,
        @JsonProperty("dump_compression") String dumpCompression,
        @JsonProperty("row_counts") String rowCounts,
        @JsonProperty("tables") List<Table> tables,
        @JsonProperty("extensions") List<Extension> extensions,
        @JsonProperty("files") List<FileEntry> files,
        @JsonProperty("database") Database database,
        @JsonProperty("partial") Partial partial,
        @JsonProperty("globals") Globals globals) {

    public static final String FORMAT = "dbtool-archive";
    /**
     * The format this dbtool writes, and the newest it reads. Version 3: manifest.json and SHA256SUMS are the
     * archive's last entries (written after the dump, so an export streams into its destination while pg_dump
     * runs), with globals.sql when the export had --globals ({@link #globals}). Versions 1 and 2 have
     * manifest.json first and still import: version 1 has no database properties, no partial-export record and
     * no globals.sql; version 2 only adds those optional fields and was written only with globals.sql, which a
     * version 1 reader would refuse as unexpected rather than restore without it.
     */
    public static final int FORMAT_VERSION = 3;
    public static final int FIRST_FORMAT_VERSION = 1;

    /** An archive as dbtool 1 wrote it: no database properties, nothing partial, no globals. */
    public Manifest(String format, int formatVersion, String toolVersion, String createdAt, String project,
            Source source, String serverVersion, String pgDumpVersion, String dumpFormat, String compression,
            String dumpCompression, String rowCounts, List<Table> tables, List<Extension> extensions,
            List<FileEntry> files) {
        this(format, formatVersion, toolVersion, createdAt, project, source, serverVersion, pgDumpVersion, dumpFormat,
                compression, dumpCompression, rowCounts, tables, extensions, files, null, null, null);
    }

    /**
     * What belongs to the database itself and pg_dump without --create leaves out: its settings
     * ({@code ALTER DATABASE ... SET}), its comment, settings of roles in it
     * ({@code ALTER ROLE ... IN DATABASE ... SET}) and, when the source changed the defaults, its
     * privileges. Settings are {@code name=value} exactly as pg_db_role_setting stores them.
     *
     * @param grants null when the database has the default privileges; otherwise every grant, PUBLIC's
     *     included (an empty list means PUBLIC may not even connect)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Database(
            @JsonProperty("owner") String owner,
            @JsonProperty("comment") String comment,
            @JsonProperty("settings") List<String> settings,
            @JsonProperty("role_settings") List<RoleSettings> roleSettings,
            @JsonProperty("grants") List<Grant> grants) {

        @com.fasterxml.jackson.annotation.JsonIgnore
        public boolean isEmpty() {
            return comment == null && settings.isEmpty() && roleSettings.isEmpty() && grants == null;
        }
    }

    public record RoleSettings(@JsonProperty("role") String role, @JsonProperty("settings") List<String> settings) {}

    /** {@code privilege} is CONNECT, CREATE or TEMPORARY; {@code grantee} is a role name or PUBLIC. */
    public record Grant(
            @JsonProperty("grantee") String grantee,
            @JsonProperty("privilege") String privilege,
            @JsonProperty("grantable") boolean grantable) {

        public static final String PUBLIC = "PUBLIC";
    }

    /** What an export left out; null for a whole-database export. */
    public record Partial(
            @JsonProperty("schemas") List<String> schemas,
            @JsonProperty("exclude_tables") List<String> excludeTables) {

        public String describe() {
            List<String> parts = new java.util.ArrayList<>();
            schemas.forEach(s -> parts.add("--schema " + s));
            excludeTables.forEach(t -> parts.add("--exclude-table " + t));
            return String.join(" ", parts);
        }
    }

    /** Roles and tablespaces ({@code pg_dumpall --globals-only}) in {@code file}, with or without password hashes. */
    public record Globals(@JsonProperty("file") String file, @JsonProperty("role_passwords") boolean rolePasswords) {}

    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean hasGlobals() {
        return globals != null;
    }

    /** Where the data came from: enough to recognise it, nothing to log in with. */
    public record Source(
            @JsonProperty("host") String host,
            @JsonProperty("port") int port,
            @JsonProperty("database") String database,
            @JsonProperty("user") String user) {}

    /**
     * A table, partition or materialized view. {@code rows} is exact, counted in the snapshot pg_dump
     * read; it is null for partitioned parents (their rows live in the partitions) and for
     * materialized views that were not populated.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Table(
            @JsonProperty("schema") String schema,
            @JsonProperty("name") String name,
            @JsonProperty("kind") String kind,
            @JsonProperty("rows") Long rows,
            @JsonProperty("size_bytes") long sizeBytes,
            @JsonProperty("populated") Boolean populated) {

        public static final String TABLE = "table";
        public static final String PARTITIONED = "partitioned_table";
        public static final String MATERIALIZED_VIEW = "materialized_view";

        public String qualifiedName() {
            return schema + "." + name;
        }

        /** Only real tables are compared after a restore: pg_restore refreshes materialized views itself. */
        public boolean validated() {
            return kind.equals(TABLE) && rows != null;
        }
    }

    public record Extension(@JsonProperty("name") String name, @JsonProperty("version") String version) {}

    /** A file of the archive other than manifest.json and SHA256SUMS, with its exact size. */
    public record FileEntry(@JsonProperty("path") String path, @JsonProperty("size") long size) {}

    /**
     * "Tables" everywhere (export, its progress, import, inspect): the tables that hold rows and are checked after
     * a restore. Partitioned parents and materialized views are counted apart, see {@link #countOf(String)}.
     */
    public long tableCount() {
        return tables.stream().filter(Table::validated).count();
    }

    public long countOf(String kind) {
        return tables.stream().filter(t -> t.kind().equals(kind)).count();
    }

    public long totalRows() {
        return tables.stream().filter(Table::validated).mapToLong(Table::rows).sum();
    }
}
