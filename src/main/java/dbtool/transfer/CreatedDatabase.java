package dbtool.transfer;

import dbtool.DbToolException;
import dbtool.Reporter;
import dbtool.config.ConnectionSettings;
import dbtool.pg.Connections;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The target database an import creates, dropped again unless the import {@link #keep() keeps} it: on a failure
 * ({@link #close()}) and on Ctrl-C / SIGTERM (a shutdown hook). The hook is in place before {@code CREATE DATABASE} is
 * sent, so there is no moment in which an interrupt leaves an empty database behind that a retry would find existing.
 * It drops only what this created: a hook that runs while the statement is in flight waits for its outcome, and a
 * database that already existed (the statement failed) is never touched.
 */
final class CreatedDatabase implements AutoCloseable {
    /** How long a shutdown hook waits for an in-flight CREATE DATABASE before it gives up on knowing its outcome. */
    private static final long CREATE_WAIT_SECONDS = 30;

    private final ConnectionSettings target;
    private final Reporter reporter;
    /** Held while CREATE DATABASE runs and while the database is dropped: the hook sees a settled state. */
    private final ReentrantLock lock = new ReentrantLock();
    private final Thread dropOnShutdown;
    private boolean created;
    private boolean kept;
    private boolean dropped;

    private CreatedDatabase(ConnectionSettings target, Reporter reporter) {
        this.target = target;
        this.reporter = reporter;
        this.dropOnShutdown = new Thread(this::dropOnShutdown, "dbtool-drop-partial-import");
    }

    /** Creates the target database (from template0); it is dropped again unless {@link #keep()} is called. */
    static CreatedDatabase create(ConnectionSettings target, Reporter reporter) throws SQLException {
        CreatedDatabase database = new CreatedDatabase(target, reporter);
        Runtime.getRuntime().addShutdownHook(database.dropOnShutdown);
        database.lock.lock();
        try (Connection admin = Importer.openMaintenance(target); Statement st = admin.createStatement()) {
            st.execute("create database " + Connections.quoteIdentifier(target.database()) + " template template0");
            database.created = true;
        } catch (SQLException | RuntimeException e) {
            database.removeHook();
            throw e;
        } finally {
            database.lock.unlock();
        }
        reporter.info("created database " + target.database() + " on " + target.host() + ":" + target.port());
        return database;
    }

    /** The import succeeded (or ended with a result the user should see, a count mismatch): the database stays. */
    void keep() {
        lock.lock();
        try {
            kept = true;
        } finally {
            lock.unlock();
        }
        removeHook();
    }

    /** Drops the database now, saying so on {@code report}; whether it is gone. */
    boolean drop(Consumer<String> report) {
        removeHook();
        lock.lock();
        try {
            return dropLocked(report);
        } finally {
            lock.unlock();
        }
    }

    /** Drops the database unless it was kept. */
    @Override
    public void close() {
        drop(reporter::info);
    }

    private void dropOnShutdown() {
        try {
            if (!lock.tryLock(CREATE_WAIT_SECONDS, TimeUnit.SECONDS)) {
                reporter.warn("could not tell whether the database " + target.database() + " was created (the server"
                        + " did not answer); if it exists and is empty, drop it by hand (dropdb " + target.database() + ")");
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        try {
            dropLocked(reporter::info);
        } finally {
            lock.unlock();
        }
    }

    private boolean dropLocked(Consumer<String> report) {
        if (!created || kept || dropped) {
            return dropped || !created;
        }
        try (Connection admin = Importer.openMaintenance(target); Statement st = admin.createStatement()) {
            // pg_restore's workers may still be connected (they are being killed right now).
            try (PreparedStatement ps = admin.prepareStatement(
                    "select pg_terminate_backend(pid) from pg_stat_activity where datname = ? and pid <> pg_backend_pid()")) {
                ps.setString(1, target.database());
                ps.execute();
            }
            st.execute("drop database if exists " + Connections.quoteIdentifier(target.database()));
            dropped = true;
            report.accept("dropped the database " + target.database() + " this import had created");
            return true;
        } catch (SQLException | DbToolException e) {
            reporter.warn("could not drop the partly restored database " + target.database() + ": " + e.getMessage());
            return false;
        }
    }

    private void removeHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(dropOnShutdown);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running already, or about to: it drops the database itself
        }
    }
}
