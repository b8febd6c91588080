package dbtool.verify;

import dbtool.Reporter;
import dbtool.archive.Manifest;
import dbtool.config.ConnectionSettings;
import dbtool.pg.Catalog;
import dbtool.pg.Connections;
import dbtool.verify.SideSnapshot.TableSnapshot;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A live database as a side. Everything is read in one REPEATABLE READ, read-only transaction, so
 * the relation list, every count and every checksum describe the same snapshot even while the
 * application writes; nothing is written and no rows leave the server (checksums are computed there).
 */
public record DatabaseSide(String label, ConnectionSettings settings) implements ComparisonSide {

    public DatabaseSide(ConnectionSettings settings) {
        this(settings.describe(), settings);
    }

    /**
     * Pins every setting that changes how values print as text, since the checksum hashes row text:
     * the same timestamptz prints differently under another TimeZone, a float under another
     * extra_float_digits, a bytea under 'escape'. Two servers configured differently must still agree.
     * extra_float_digits = 1 means "shortest exact" from PostgreSQL 12 on (what 12+ print by default).
     * search_path = pg_catalog makes format_type schema-qualify every user type the same way on both
     * sides, and keeps user functions from shadowing md5 and friends. statement_timeout = 0 because one
     * checksum is one long statement on a big table; a timeout meant for the application must not cut it.
     */
    private static final List<String> SESSION = List.of(
            "set local statement_timeout = 0",
            "set local timezone = 'UTC'",
            "set local datestyle = 'ISO, YMD'",
            "set local intervalstyle = 'postgres'",
            "set local extra_float_digits = 1",
            "set local bytea_output = 'hex'",
            "set local lc_monetary = 'C'",
            "set local search_path = pg_catalog");

    /** Column lists of all relations at once: one catalog query rather than one per table. */
    private static final String COLUMNS = """
            select n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
            from pg_class c
            join pg_namespace n on n.oid = c.relnamespace
            join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
            where c.relkind in ('r', 'p', 'm')
            order by n.nspname, c.relname, a.attnum
            """;

    @Override
    public boolean supportsChecksum() {
        return true;
    }

    @Override
    public SideSnapshot read(boolean checksum, Reporter reporter) {
        try (Connection connection = Connections.open(settings)) {
            connection.setAutoCommit(false);
            connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            connection.setReadOnly(true);
            SideSnapshot side = readInTransaction(connection, label, checksum, reporter);
            connection.commit();
            return side;
        } catch (SQLException e) {
            throw Connections.explain(settings, e);
        }
    }

    /**
     * Reads a side inside the transaction {@code connection} already has open (copy reads its source
     * in the very snapshot pg_dump reads). Pins the session settings for the rest of that transaction.
     */
    public static SideSnapshot readInTransaction(Connection connection, String label, boolean checksum, Reporter reporter)
            throws SQLException {
        try (Statement st = connection.createStatement()) {
            for (String sql : SESSION) {
                st.execute(sql);
            }
        }
        List<Catalog.Relation> relations = Catalog.relations(connection);
        Map<TableName, List<String>> columns = checksum ? columnLists(connection) : Map.of();
        List<TableSnapshot> tables = new ArrayList<>();
        reporter.progressStart("reading " + label, relations.size(), " tables");
        try {
            for (Catalog.Relation r : relations) {
                tables.add(snapshot(connection, r, checksum, columns));
                reporter.progressStep(1);
            }
        } finally {
            reporter.progressEnd();
        }
        return new SideSnapshot(label, tables);
    }

    private static TableSnapshot snapshot(Connection connection, Catalog.Relation r, boolean checksum,
            Map<TableName, List<String>> columns) throws SQLException {
        TableName name = new TableName(r.schema(), r.name());
        List<String> columnList = checksum ? columns.getOrDefault(name, List.of()) : null;
        if (r.kind().equals(Manifest.Table.PARTITIONED)
                || (r.kind().equals(Manifest.Table.MATERIALIZED_VIEW) && !r.populated())) {
            // No rows of its own / not scannable: same as the manifest, which has no count for these.
            return new TableSnapshot(r.schema(), r.name(), r.kind(), null, columnList, null);
        }
        if (checksum && r.kind().equals(Manifest.Table.TABLE)) {
            return checksummed(connection, r, columnList);
        }
        long rows = Catalog.countRows(connection, r.schema(), r.name());
        return new TableSnapshot(r.schema(), r.name(), r.kind(), rows, columnList, null);
    }

    /**
     * Count and checksum in one scan, on the server. Per row: the first 64 bits of the MD5 of the
     * row's text (UTF-8, so databases in other encodings agree), as a signed bigint; per table: the
     * sum of those. A sum is order-independent, so physical order, vacuum and restores do not matter;
     * unlike XOR, a duplicated row adds its hash twice instead of cancelling out. sum(bigint) returns
     * numeric, so the sum is exact and never overflows. With the count alongside, a changed, added,
     * removed or duplicated row goes unnoticed only if the 64-bit hashes happen to balance out (about
     * 2^-64). {@code t.*} rather than {@code t}: a bare {@code t} would mean a column named t, if any.
     */
    private static TableSnapshot checksummed(Connection connection, Catalog.Relation r, List<String> columns)
            throws SQLException {
        String sql = "select count(*), coalesce(sum(('x' || substr(md5(convert_to((t.*)::text, 'UTF8')), 1, 16))"
                + "::bit(64)::bigint), 0)::text from only " + Connections.qualified(r.schema(), r.name()) + " t";
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return new TableSnapshot(r.schema(), r.name(), r.kind(), rs.getLong(1), columns, rs.getString(2));
        }
    }

    private static Map<TableName, List<String>> columnLists(Connection connection) throws SQLException {
        Map<TableName, List<String>> result = new HashMap<>();
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(COLUMNS)) {
            while (rs.next()) {
                result.computeIfAbsent(new TableName(rs.getString(1), rs.getString(2)), k -> new ArrayList<>())
                        .add(Connections.quoteIdentifier(rs.getString(3)) + " " + rs.getString(4));
            }
        }
        return result;
    }
}
