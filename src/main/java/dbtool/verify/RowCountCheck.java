package dbtool.verify;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.archive.Manifest;
import dbtool.config.ConnectionSettings;
import dbtool.pg.Catalog;
import dbtool.pg.Connections;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Compares the rows of every table in a database with the counts an archive's manifest promises.
 * Tables are counted on several connections at once: after a big restore this is a full scan of
 * everything, and it should take a fraction of the restore's time, not add to it.
 */
public final class RowCountCheck {

    /** One table whose count differs; {@code found} is null when the table is missing. */
    public record Mismatch(String table, long expected, Long found) {

        public String describe() {
            return table + ": expected " + expected + " rows, found " + (found == null ? "no such table" : found);
        }
    }

    public record Outcome(int tablesChecked, long rowsChecked, List<Mismatch> mismatches) {

        public boolean passed() {
            return mismatches.isEmpty();
        }
    }

    private RowCountCheck() {}

    public static Outcome run(ConnectionSettings target, Manifest manifest, int parallelism) {
        return run(target, manifest, parallelism, Map.of());
    }

    /** @param counted rows already counted in the target (by qualified name), not counted again */
    public static Outcome run(ConnectionSettings target, Manifest manifest, int parallelism, Map<String, Long> counted) {
        return run(target, manifest, parallelism, counted, () -> { });
    }

    /** As above; {@code tableChecked} runs once per table whose count is known, from any thread (progress). */
    public static Outcome run(ConnectionSettings target, Manifest manifest, int parallelism, Map<String, Long> counted,
            Runnable tableChecked) {
        List<Manifest.Table> tables = manifest.tables().stream().filter(Manifest.Table::validated)
                .sorted((a, b) -> Long.compare(b.sizeBytes(), a.sizeBytes())).toList();
        Set<String> present = new HashSet<>();
        // Which tables exist matters only for those still to count (a streamed import counted them all on the way
        // in): no connection and catalog query after the restore then.
        if (!counted.keySet().containsAll(tables.stream().map(Manifest.Table::qualifiedName).toList())) {
            try (Connection connection = Connections.open(target)) {
                for (Catalog.Relation r : Catalog.relations(connection)) {
                    present.add(r.schema() + "\u0000" + r.name());
                }
            } catch (SQLException e) {
                throw Connections.explain(target, e);
            }
        }
        ConcurrentLinkedQueue<Manifest.Table> queue = new ConcurrentLinkedQueue<>();
        AtomicLong rows = new AtomicLong();
        List<Mismatch> mismatches = new ArrayList<>();
        for (Manifest.Table t : tables) {
            Long known = counted.get(t.qualifiedName());
            if (known != null) {
                tableChecked.run();
                rows.addAndGet(known);
                if (known.longValue() != t.rows()) {
                    mismatches.add(new Mismatch(t.qualifiedName(), t.rows(), known));
                }
            } else if (present.contains(t.schema() + "\u0000" + t.name())) {
                queue.add(t); // biggest first, so the longest count starts early
            } else {
                mismatches.add(new Mismatch(t.qualifiedName(), t.rows(), null));
            }
        }
        ConcurrentLinkedQueue<Mismatch> found = new ConcurrentLinkedQueue<>();
        if (queue.isEmpty()) {
            mismatches.sort((a, b) -> a.table().compareTo(b.table()));
            return new Outcome(tables.size(), rows.get(), mismatches);
        }
        int threads = Math.max(1, Math.min(parallelism, queue.size()));
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> new Thread(r, "dbtool-count"));
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                workers.add(pool.submit(() -> {
                    try (Connection connection = Connections.open(target)) {
                        Manifest.Table t;
                        while ((t = queue.poll()) != null) {
                            long n = Catalog.countRows(connection, t.schema(), t.name());
                            tableChecked.run();
                            rows.addAndGet(n);
                            if (n != t.rows()) {
                                found.add(new Mismatch(t.qualifiedName(), t.rows(), n));
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> worker : workers) {
                worker.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DbToolException(ExitCode.RUNTIME, "interrupted while counting rows", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof DbToolException d) {
                throw d;
            }
            if (e.getCause() instanceof SQLException sql) {
                throw Connections.explain(target, sql);
            }
            throw new DbToolException(ExitCode.RUNTIME, "counting rows failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
        mismatches.addAll(found);
        mismatches.sort((a, b) -> a.table().compareTo(b.table()));
        return new Outcome(tables.size(), rows.get(), mismatches);
    }
}
