package dbtool.testing;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * A running PostgreSQL server that integration tests may use freely: it is reachable over TCP
 * with a superuser, and tests isolate themselves by creating their own databases and roles.
 * Obtain one from {@link PgServers}; servers are shared per JVM and never stopped by tests.
 */
public interface TestServer {

    String host();

    int port();

    String superuser();

    /** May be null or empty (embedded servers let {@code postgres} in without a password). */
    String superuserPassword();

    /** A project's {@code user:} and {@code password:} lines (4-space indent) for this server's superuser. */
    default String credentialsYaml() {
        String password = superuserPassword();
        return "    user: " + superuser() + "\n"
                + (password == null || password.isEmpty() ? "" : "    password: '" + password + "'\n");
    }

    /** The server's major version, e.g. 15, as reported by the server itself. */
    int majorVersion();

    /** CREATE DATABASE with a unique name: {@code prefix + "_" + random lowercase suffix}. */
    TestDatabase createDatabase(String prefix);

    /** A LOGIN role with a unique name ({@code prefix + "_" + suffix}) and the given password. */
    TestRole createRole(String prefix, String password);

    /** A new connection to the {@code postgres} database as superuser; the caller closes it. */
    Connection connectAdmin() throws SQLException;

    /** Terminates the database's backends, then DROP DATABASE IF EXISTS. */
    void dropDatabase(String name);

    /**
     * {@code postgresql://superuser[:password]@host:port/database}: dbtool's URL format, logging in as
     * the superuser (the password part only for servers that need one).
     */
    String url(String database);
}
