package dbtool.migrate;

import dbtool.pg.Connections;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A failed {@code CREATE INDEX CONCURRENTLY} leaves its index behind, marked {@code indisvalid = false}: never used
 * by queries, yet maintained on every write, and in the way of the next attempt (same name). The migrator lists
 * the invalid indexes before each migration and, if it fails, drops the ones that appeared meanwhile and that no
 * session is still building (so another session's build in progress is left alone).
 */
final class InvalidIndexes {

    private InvalidIndexes() {}

    /** The OIDs of all invalid indexes of the database right now. */
    static Set<Long> current(Connection c) throws SQLException {
        Set<Long> oids = new HashSet<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT indexrelid::bigint FROM pg_index WHERE NOT indisvalid")) {
            while (rs.next()) {
                oids.add(rs.getLong(1));
            }
        }
        return oids;
    }

    /** A left-over index: its OID and its schema-qualified, quoted name. */
    record Leftover(long oid, String name) {}

    /** Invalid indexes not in {@code before} and not being built by any session (pg_stat_progress_create_index). */
    static List<Leftover> createdSince(Connection c, Set<Long> before) throws SQLException {
        List<Leftover> found = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("""
                SELECT i.indexrelid::bigint, n.nspname, cl.relname
                FROM pg_index i
                JOIN pg_class cl ON cl.oid = i.indexrelid
                JOIN pg_namespace n ON n.oid = cl.relnamespace
                WHERE NOT i.indisvalid
                  AND i.indexrelid NOT IN (SELECT index_relid FROM pg_stat_progress_create_index)
                """)) {
            while (rs.next()) {
                if (!before.contains(rs.getLong(1))) {
                    found.add(new Leftover(rs.getLong(1), Connections.qualified(rs.getString(2), rs.getString(3))));
                }
            }
        }
        return found;
    }

    /** DROP INDEX CONCURRENTLY: a plain DROP would take an ACCESS EXCLUSIVE lock on the live table. */
    static void drop(Connection c, Leftover index) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(true); // CONCURRENTLY refuses to run in a transaction block
        try (Statement st = c.createStatement()) {
            st.execute("DROP INDEX CONCURRENTLY IF EXISTS " + index.name());
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }
}
