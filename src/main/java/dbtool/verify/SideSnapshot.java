package dbtool.verify;

import java.util.List;

/** What one side holds, as read in one go; {@code tables} in no particular order. */
public record SideSnapshot(String label, List<TableSnapshot> tables) {

    public SideSnapshot {
        tables = List.copyOf(tables);
    }

    /**
     * One relation of a side. {@code kind} is a {@link dbtool.archive.Manifest.Table} kind.
     * {@code rows} is null where a side has no count: partitioned parents (their rows live in the
     * partitions) and materialized views that are not populated. {@code columns} (each {@code name type}, in
     * column order) and {@code checksum} are null unless the side was read with checksums; {@code checksum}
     * is also null for relations whose content is not checksummed (anything but a plain table).
     */
    public record TableSnapshot(String schema, String name, String kind, Long rows, List<String> columns,
            String checksum) {

        public TableSnapshot {
            columns = columns == null ? null : List.copyOf(columns);
        }

        public TableName tableName() {
            return new TableName(schema, name);
        }
    }
}
