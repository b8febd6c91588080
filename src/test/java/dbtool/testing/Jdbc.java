package dbtool.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** JDBC connections by parts, so that no caller builds URLs with credentials in them. */
final class Jdbc {

    private Jdbc() {
    }

    static Connection connect(String host, int port, String database, String user, String password)
            throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        if (password != null && !password.isEmpty()) {
            props.setProperty("password", password);
        }
        return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/" + database, props);
    }

    /** A double-quoted SQL identifier. */
    static String ident(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    /** A single-quoted SQL string literal (standard_conforming_strings is on since PostgreSQL 9.1). */
    static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }
}
