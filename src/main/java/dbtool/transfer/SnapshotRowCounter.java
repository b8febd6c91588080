package dbtool.transfer;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.archive.Manifest;
import dbtool.pg.Catalog;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Counts every relation's rows in the export's snapshot transaction, on a thread of its own, while pg_dump reads the
 * same snapshot. Each count runs under a savepoint: a count that fails (a table the role may not read) must not
 * abort the transaction whose snapshot pg_dump imports, or pg_dump would fail with "could not import the requested
 * snapshot" instead of its own, true error. Closing it cancels a count still running (pg_dump failed).
 */
final class SnapshotRowCounter implements AutoCloseable {

    private final Connection connection;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "dbtool-row-counter");
        t.setDaemon(true);
        return t;
    });
    private final Future<Map<String, Long>> counts;
    private volatile Statement running;

    SnapshotRowCounter(Connection connection, List<Catalog.Relation> relations) {
        this.connection = connection;
        this.counts = thread.submit(() -> countAll(relations));
    }

    private Map<String, Long> countAll(List<Catalog.Relation> relations) throws SQLException {
        Map<String, Long> result = new HashMap<>();
        for (Catalog.Relation r : relations) {
            if (r.kind().equals(Manifest.Table.PARTITIONED)
                    || (r.kind().equals(Manifest.Table.MATERIALIZED_VIEW) && !r.populated())) {
                continue;
            }
            Savepoint savepoint = connection.setSavepoint();
            try (Statement st = connection.createStatement()) {
                running = st;
                result.put(r.qualifiedName(), Catalog.countRows(st, r.schema(), r.name()));
                connection.releaseSavepoint(savepoint);
            } catch (SQLException e) {
                connection.rollback(savepoint);
                throw new SQLException("counting rows of " + r.qualifiedName() + " failed: " + e.getMessage(),
                        e.getSQLState(), e);
            } finally {
                running = null;
            }
        }
        return result;
    }

    /** The counts, once all are done. */
    Map<String, Long> await() {
        try {
            return counts.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DbToolException(ExitCode.RUNTIME, "interrupted while counting rows", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new DbToolException(ExitCode.RUNTIME, cause.getMessage(), cause);
        }
    }

    @Override
    public void close() {
        if (!counts.isDone()) {
            Statement st = running;
            if (st != null) {
                try {
                    st.cancel();
                } catch (SQLException ignored) {
                    // the count ends with its connection anyway
                }
            }
            counts.cancel(true);
        }
        thread.shutdownNow();
        try {
            thread.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
