package dbtool.pg;

import dbtool.archive.Manifest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** What a database holds, read from the system catalogs. */
public final class Catalog {

    private Catalog() {}

    /**
     * A relation that holds rows, as the catalogs describe it; {@code oid} identifies it in pg_dump's TOC, {@code owner}
     * is its owner's role name. {@code sizeBytes} is everything on disk (pg_total_relation_size, indexes included),
     * {@code dataBytes} the rows alone (pg_table_size: heap and TOAST, no indexes), which is what pg_dump writes out.
     */
    public record Relation(long oid, String schema, String name, String kind, boolean populated, long sizeBytes,
            String owner, long dataBytes) {

        public String qualifiedName() {
            return schema + "." + name;
        }
    }

    private static final String RELATIONS = """
            select n.nspname, c.relname, c.relkind::text, c.relispopulated, pg_total_relation_size(c.oid),
                   pg_get_userbyid(c.relowner), c.oid::int8, pg_table_size(c.oid)
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p', 'm')
              and c.relpersistence <> 't'
              and n.nspname not in ('pg_catalog', 'information_schema')
              and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'
              and not exists (select 1 from pg_depend d
                              where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
            order by 1, 2
            """;

    /** User tables, partitions, partitioned parents and materialized views; not those of extensions. */
    public static List<Relation> relations(Connection connection) throws SQLException {
        List<Relation> result = new ArrayList<>();
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(RELATIONS)) {
            while (rs.next()) {
                String kind = switch (rs.getString(3)) {
                    case "p" -> Manifest.Table.PARTITIONED;
                    case "m" -> Manifest.Table.MATERIALIZED_VIEW;
                    default -> Manifest.Table.TABLE;
                };
                result.add(new Relation(rs.getLong(7), rs.getString(1), rs.getString(2), kind, rs.getBoolean(4),
                        rs.getLong(5), rs.getString(6), rs.getLong(8)));
            }
        }
        return result;
    }

    public static List<Manifest.Extension> extensions(Connection connection) throws SQLException {
        List<Manifest.Extension> result = new ArrayList<>();
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("select extname, extversion from pg_extension order by 1")) {
            while (rs.next()) {
                result.add(new Manifest.Extension(rs.getString(1), rs.getString(2)));
            }
        }
        return result;
    }

    /** Exact rows, from the table itself only (a partition's rows are not counted twice via its parent). */
    public static long countRows(Connection connection, String schema, String table) throws SQLException {
        try (Statement st = connection.createStatement()) {
            return countRows(st, schema, table);
        }
    }

    /** The same on a given statement, which another thread may {@link Statement#cancel()}. */
    public static long countRows(Statement st, String schema, String table) throws SQLException {
        try (ResultSet rs = st.executeQuery("select count(*) from only " + Connections.qualified(schema, table))) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Which server this is, whatever host name, address or user reached it: the postmaster's start
     * time (microseconds) and port. Unlike system_identifier it needs no privilege, and a clone of a
     * server (same system_identifier) still differs from it.
     */
    public static String serverIdentity(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(
                "select extract(epoch from pg_postmaster_start_time())::text || ' port ' || current_setting('port')")) {
            rs.next();
            return rs.getString(1);
        }
    }

    public static String currentDatabase(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("select current_database()")) {
            rs.next();
            return rs.getString(1);
        }
    }

    public static PgVersion serverVersion(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("show server_version_num")) {
            rs.next();
            return PgVersion.fromVersionNum(Integer.parseInt(rs.getString(1)));
        }
    }

    /**
     * True when the database holds nothing a restore could collide with: no relations, functions,
     * types or extra extensions outside the system schemas, and no schema besides public.
     */
    public static boolean isEmpty(Connection connection) throws SQLException {
        String sql = """
                select (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
                        where n.nspname not in ('pg_catalog', 'information_schema')
                          and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%')
                     + (select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                        where n.nspname not in ('pg_catalog', 'information_schema'))
                     + (select count(*) from pg_extension where extname <> 'plpgsql')
                     + (select count(*) from pg_namespace where nspname not in ('public', 'pg_catalog', 'information_schema')
                          and nspname not like 'pg\\_toast%' and nspname not like 'pg\\_temp%')
                """;
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1) == 0;
        }
    }
}
