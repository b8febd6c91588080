package dbtool.transfer;

import dbtool.DbToolException;
import dbtool.config.ConnectionSettings;
import dbtool.pg.Connections;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.function.LongSupplier;

/**
 * The bytes of COPY data the target server has taken in so far for the COPYs running in one database
 * (pg_stat_progress_copy, PostgreSQL 14+): how far pg_restore is inside the tables it is loading. Asked at most once
 * a second on a connection of its own; 0 where the view is missing or the question fails (progress only).
 */
final class CopyBytesOnServer implements LongSupplier, AutoCloseable {

    private static final long EVERY_MILLIS = 1000;

    private final ConnectionSettings target;
    private Connection connection;
    private boolean failed;
    private boolean asked;
    private long askedAt;
    private long last;

    CopyBytesOnServer(ConnectionSettings target) {
        this.target = target;
    }

    @Override
    public synchronized long getAsLong() {
        long now = System.nanoTime() / 1_000_000;
        if (failed || asked && now - askedAt < EVERY_MILLIS) {
            return last;
        }
        asked = true;
        askedAt = now;
        try {
            if (connection == null) {
                connection = Connections.open(target);
            }
            try (PreparedStatement ps = connection.prepareStatement("select coalesce(sum(bytes_processed), 0)"
                    + " from pg_stat_progress_copy where datname = ? and command = 'COPY FROM'")) {
                ps.setString(1, target.database());
                try (ResultSet rs = ps.executeQuery()) {
                    last = rs.next() ? rs.getLong(1) : 0;
                }
            }
        } catch (SQLException | DbToolException e) {
            failed = true; // older server (no such view) or no connection: tables count when loaded, as before
            last = 0;
        }
        return last;
    }

    /** Whether the server answers (so far): the bytes then move inside a table too. */
    synchronized boolean works() {
        return !failed;
    }

    @Override
    public synchronized void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // the restore is over; a display's connection that fails to close changes nothing
            }
            connection = null;
        }
        failed = true;
    }
}
