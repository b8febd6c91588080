package dbtool.testing;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** A database created by {@link TestServer#createDatabase(String)}; all access is as superuser. */
public record TestDatabase(TestServer server, String name) {

    /** dbtool's config URL format, without credentials. */
    public String url() {
        return server.url(name);
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://" + server.host() + ":" + server.port() + "/" + name;
    }

    public Connection connect() throws SQLException {
        return Jdbc.connect(server.host(), server.port(), name, server.superuser(), server.superuserPassword());
    }

    /** Runs each statement in order, each in its own transaction (autocommit). */
    public void execute(String... sql) {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        } catch (SQLException e) {
            throw new RuntimeException("in database " + name + ": " + e.getMessage(), e);
        }
    }

    /** The first column of the first row; fails if the query returns no row. */
    public long queryLong(String sql) {
        String value = queryString(sql);
        if (value == null) {
            throw new IllegalStateException("NULL from: " + sql);
        }
        return Long.parseLong(value);
    }

    /** The first column of the first row (may be null); fails if the query returns no row. */
    public String queryString(String sql) {
        try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            if (!rs.next()) {
                throw new IllegalStateException("no row from: " + sql);
            }
            return rs.getString(1);
        } catch (SQLException e) {
            throw new RuntimeException("in database " + name + ": " + e.getMessage(), e);
        }
    }

    public void drop() {
        server.dropDatabase(name);
    }
}
