package dbtool.verify;

import dbtool.archive.Manifest;
import dbtool.config.ConnectionSettings;
import dbtool.pg.Catalog;
import dbtool.pg.Connections;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Counts a table's rows as soon as pg_restore reports its data loaded, while pg_restore is still busy
 * with other tables and indexes, so the final check has little left to count. A parallel restore
 * commits each table's data on its own and nothing after that changes its rows (triggers are created
 * after the data), so such a count is final. Anything that goes wrong here only means the table is
 * counted again afterwards by {@link RowCountCheck}.
 */
public final class EarlyRowCounter implements AutoCloseable {

    private static final Manifest.Table END = new Manifest.Table("", "", "", 0L, 0, null);

    private final ConnectionSettings target;
    private final BlockingQueue<Manifest.Table> queue = new LinkedBlockingQueue<>();
    private final Map<String, Long> counts = new ConcurrentHashMap<>();
    private final Thread thread;

    public EarlyRowCounter(ConnectionSettings target) {
        this.target = target;
        this.thread = new Thread(this::run, "dbtool-early-count");
        thread.setDaemon(true);
        thread.start();
    }

    /** The table's data is committed in the target. */
    public void loaded(Manifest.Table table) {
        queue.add(table);
    }

    /** Waits for the queued counts and returns them by qualified name. */
    public Map<String, Long> finish() {
        queue.add(END);
        try {
            thread.join(TimeUnit.MINUTES.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Map.copyOf(counts);
    }

    @Override
    public void close() {
        queue.add(END);
    }

    private void run() {
        Connection connection = null;
        try {
            Manifest.Table table;
            while ((table = queue.take()) != END) {
                if (connection == null) {
                    connection = Connections.open(target);
                }
                counts.put(table.qualifiedName(), Catalog.countRows(connection, table.schema(), table.name()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (SQLException | RuntimeException e) {
            // counted again by RowCountCheck
        } finally {
            if (connection != null) {
                try {
                    connection.close();
                } catch (SQLException ignored) {
                    // nothing to do
                }
            }
        }
    }
}
