package dbtool.migrate;

import dbtool.migrate.lint.VerifyDirective;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;

/**
 * Evaluates a migration's {@code -- dbtool:verify} checks after its statements ran. Flyway fires
 * {@code afterEachMigrate} on the migration's own connection, inside the migration's transaction, before it writes
 * the success row to the history table; throwing here therefore rolls back both the migration and its history row
 * (MigratorIT proves it: the data is untouched and no success row exists).
 *
 * <p>Each check is evaluated as one {@code SELECT}, so it reads one snapshot even under READ COMMITTED while the
 * application writes: a check comparing two tables sees both as of the same moment (README: checks that hold while
 * writers are active).
 */
final class VerifyCallback implements Callback {
    private final Map<String, PendingMigration> byVersion;

    VerifyCallback(Map<String, PendingMigration> byVersion) {
        this.byVersion = Map.copyOf(byVersion);
    }

    @Override
    public boolean supports(Event event, Context context) {
        return event == Event.AFTER_EACH_MIGRATE;
    }

    @Override
    public boolean canHandleInTransaction(Event event, Context context) {
        return true;
    }

    @Override
    public void handle(Event event, Context context) {
        MigrationInfo info = context.getMigrationInfo();
        PendingMigration migration = info == null || info.getVersion() == null
                ? null : byVersion.get(info.getVersion().getVersion());
        if (migration == null || migration.checks().isEmpty()) {
            return;
        }
        Connection connection = context.getConnection();
        boolean inTransaction = inTransaction(connection);
        for (VerifyDirective check : migration.checks()) {
            verify(connection, migration, check, inTransaction);
        }
    }

    private static void verify(Connection connection, PendingMigration migration, VerifyDirective check,
            boolean inTransaction) {
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("SELECT (" + check.expression() + "\n)")) {
            Object value = rs.next() ? rs.getObject(1) : null;
            if (!Boolean.TRUE.equals(value)) {
                String outcome = value == null ? "it is NULL"
                        : value instanceof Boolean ? "it is false" : "it is not a boolean but " + value;
                throw new VerifyFailure(migration, check, outcome, inTransaction, null);
            }
        } catch (SQLException e) {
            throw new VerifyFailure(migration, check, "it raised " + e.getSQLState() + " "
                    + firstLine(e.getMessage()), inTransaction, e);
        }
    }

    private static boolean inTransaction(Connection connection) {
        try {
            return !connection.getAutoCommit();
        } catch (SQLException e) {
            return false;
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    @Override
    public String getCallbackName() {
        return "dbtool verify";
    }
}
