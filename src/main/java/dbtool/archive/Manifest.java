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
        @JsonProperty("files") List<FileEntry> files) {

    public static final String FORMAT = "dbtool-archive";
    public static final int FORMAT_VERSION = 1;

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

    public long totalRows() {
        return tables.stream().filter(Table::validated).mapToLong(Table::rows).sum();
    }
}
