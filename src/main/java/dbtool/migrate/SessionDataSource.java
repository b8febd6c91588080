package dbtool.migrate;

import dbtool.config.ConnectionSettings;
import dbtool.config.MigrateSettings;
import dbtool.pg.Connections;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Hands Flyway (and the migrator's own bookkeeping) connections opened like every other dbtool connection
 * ({@link Connections#open}: PGPASSWORD, ~/.pgpass, one-line errors), each with the migration's
 * {@code lock_timeout} and {@code statement_timeout} already set. Setting them here rather than in the migration
 * files means no file can forget them, and they cover Flyway's own history-table statements too.
 */
final class SessionDataSource implements DataSource {
    private final ConnectionSettings settings;
    private final Duration lockTimeout;
    private final Duration statementTimeout;

    SessionDataSource(ConnectionSettings settings, MigrateSettings migrate) {
        this.settings = settings;
        this.lockTimeout = migrate.lockTimeout();
        this.statementTimeout = migrate.statementTimeout();
    }

    @Override
    public Connection getConnection() throws SQLException {
        Connection c = Connections.open(settings);
        try (PreparedStatement st = c.prepareStatement(
                "SELECT set_config('lock_timeout', ?, false), set_config('statement_timeout', ?, false)")) {
            st.setString(1, lockTimeout.toMillis() + "ms");
            st.setString(2, statementTimeout.toMillis() + "ms");
            st.execute();
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return c;
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("credentials come from the project's connection settings");
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
        return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        throw new SQLException("not a wrapper for " + iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this);
    }
}
