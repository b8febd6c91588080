package dbtool.transfer;

import dbtool.pg.PgEvent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Counts the rows of pg_dump's table data files in a -Z0 directory dump from their COPY lines ({@link CopyDataRows}),
 * for copy, which packs nothing: the source snapshot's rows without a {@code count(*)} of every table beside pg_dump.
 * A file is counted as soon as pg_dump reports it finished (parallel mode; from then on it never changes, and it is
 * still in the page cache), the rest once pg_dump has exited.
 */
final class DumpFileRows implements AutoCloseable {

    private static final Pattern TABLE_DATA_FILE = Pattern.compile("(\\d+)\\.dat");
    private static final int BUFFER = 1 << 20;

    private final Path dumpDir;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "dbtool-dump-file-rows");
        t.setDaemon(true);
        return t;
    });
    /** Only pg_dump's event thread and then the caller of {@link #finish} touch it, one after the other. */
    private final Map<String, Future<Long>> counting = new LinkedHashMap<>();

    DumpFileRows(Path dumpDir) {
        this.dumpDir = dumpDir;
    }

    /** Give every event of pg_dump: a finished table's file is counted now. */
    synchronized void onPgDumpEvent(PgEvent event) {
        if (event instanceof PgEvent.ItemFinished item && item.isTableData()) {
            String dumpId = String.valueOf(item.dumpId());
            counting.computeIfAbsent(dumpId, id -> thread.submit(() -> count(dumpDir.resolve(id + ".dat"))));
        }
    }

    /**
     * After pg_dump exited successfully: counts what it did not report, and returns the rows of each table data file
     * by dump id; a file that is not whole COPY data (or could not be read) has no entry, so the caller counts that
     * table in the snapshot instead.
     */
    synchronized Map<String, Long> finish() throws IOException {
        try (Stream<Path> files = Files.list(dumpDir)) {
            for (Path file : files.toList()) {
                Matcher m = TABLE_DATA_FILE.matcher(file.getFileName().toString());
                if (m.matches()) {
                    counting.computeIfAbsent(m.group(1), id -> thread.submit(() -> count(file)));
                }
            }
        }
        Map<String, Long> rows = new HashMap<>();
        for (Map.Entry<String, Future<Long>> e : counting.entrySet()) {
            try {
                Long n = e.getValue().get();
                if (n != null) {
                    rows.put(e.getKey(), n);
                }
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while counting the dump's rows", interrupted);
            } catch (ExecutionException unreadable) {
                // no count: the caller counts that table in the snapshot
            }
        }
        return rows;
    }

    /** The file's rows, or null when it is not one whole COPY data file. */
    private static Long count(Path file) throws IOException {
        CopyDataRows rows = new CopyDataRows();
        byte[] buffer = new byte[BUFFER];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                rows.write(buffer, 0, n);
            }
        }
        return rows.rows().isPresent() ? rows.rows().getAsLong() : null;
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
