package dbtool.pg;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.config.ConnectionSettings;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** Opens JDBC connections and turns the usual connection failures into one line with the fix. */
public final class Connections {

    private Connections() {}

    /**
     * Loads and initialises the driver's connection path ahead of the first {@link #open}, e.g. on a spare core while
     * the command line is parsed: the first connection of a process otherwise pays for it on the way to the server.
     */
    public static void warmUp() {
        try {
            Properties props = org.postgresql.Driver.parseURL("jdbc:postgresql://127.0.0.1:5432/postgres", new Properties());
            new org.postgresql.Driver().getPropertyInfo("jdbc:postgresql://127.0.0.1:5432/postgres", props);
            ClassLoader loader = Connections.class.getClassLoader();
            for (String name : WARM_UP_CLASSES) {
                Class.forName(name, true, loader);
            }
            new java.net.Socket().close();
        } catch (ReflectiveOperationException | java.io.IOException | RuntimeException | LinkageError ignored) {
            // only the set-up mattered; a real connection reports its own problems
        }
    }

    private static final java.util.List<String> WARM_UP_CLASSES = java.util.List.of(
            "org.postgresql.core.v3.ConnectionFactoryImpl", "org.postgresql.core.PGStream",
            "org.postgresql.core.v3.QueryExecutorImpl", "org.postgresql.jdbc.PgConnection",
            "org.postgresql.jdbc.PgStatement", "org.postgresql.jdbc.PgResultSet", "org.postgresql.core.Encoding",
            "org.postgresql.core.v3.AuthenticationPluginManager", "org.postgresql.core.SetupQueryRunner",
            "org.postgresql.jdbc.TypeInfoCache", "org.postgresql.core.Parser");

    public static Connection open(ConnectionSettings settings) {
        Properties props = new Properties();
        props.setProperty("user", settings.effectiveUser());
        String password = settings.password();
        if (password == null) {
            // libpq's convention; pgjdbc itself reads ~/.pgpass and PGPASSFILE.
            password = System.getenv("PGPASSWORD");
        }
        if (password != null) {
            props.setProperty("password", password);
        }
        props.setProperty("ApplicationName", "dbtool");
        props.setProperty("connectTimeout", "10");
        props.setProperty("tcpKeepAlive", "true");
        if (settings.sslmode() != null) {
            props.setProperty("sslmode", settings.sslmode());
        }
        try {
            return DriverManager.getConnection(settings.jdbcUrl(), props);
        } catch (SQLException e) {
            throw explain(settings, e);
        }
    }

    /** Maps SQLSTATEs to causes a person can act on; the password never appears. */
    public static DbToolException explain(ConnectionSettings settings, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String where = settings.describe();
        if (state.equals("28P01") || state.equals("28000")) {
            return new DbToolException(ExitCode.USAGE, "authentication failed for " + where
                    + "; check the password (config 'password', PGPASSWORD or ~/.pgpass) and pg_hba.conf", e);
        }
        String first = firstLine(e.getMessage());
        if (state.startsWith("08") && first.contains("SSL")) {
            // pgjdbc reports "The server does not support SSL" as a rejected connection (08004): not a password problem.
            return new DbToolException(ExitCode.USAGE, "SSL failed for " + where + " (" + first + "); match sslmode in"
                    + " the url (e.g. ?sslmode=disable or prefer) to what the server offers, or enable ssl on the server", e);
        }
        if (state.equals("08004")) {
            // pgjdbc's "connection rejected": above all "the server requested password-based authentication,
            // but no password was provided". The server answered, so this is a config problem, not reachability.
            return new DbToolException(ExitCode.USAGE, "the server rejected the login for " + where + " ("
                    + firstLine(e.getMessage()) + "); give the password (config 'password', PGPASSWORD or ~/.pgpass)"
                    + " or check pg_hba.conf", e);
        }
        if (state.equals("3D000")) {
            return new DbToolException(ExitCode.USAGE, "database '" + settings.database() + "' does not exist on "
                    + settings.host() + ":" + settings.port() + "; check the project's url", e);
        }
        if (state.startsWith("08")) {
            return new DbToolException(ExitCode.RUNTIME, "cannot reach PostgreSQL at " + settings.host() + ":"
                    + settings.port() + " (" + firstLine(e.getMessage()) + "); is the server running and the url right?", e);
        }
        return new DbToolException(ExitCode.RUNTIME, "database error on " + where + ": " + firstLine(e.getMessage()), e);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unknown error";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    public static String quoteIdentifier(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    public static String qualified(String schema, String name) {
        return quoteIdentifier(schema) + "." + quoteIdentifier(name);
    }
}
