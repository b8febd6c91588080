package dbtool.transfer;

import dbtool.Reporter;
import dbtool.archive.Manifest;
import dbtool.pg.Catalog;
import dbtool.pg.PgEvent;
import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How far pg_dump is, in bytes it has written: the files in its directory plus those already packed and deleted.
 * The expected total comes from the catalog: pg_table_size of the tables (heap and TOAST, which pg_dump writes out;
 * not the indexes, which are one CREATE INDEX line each). pg_dump writes uncompressed COPY text (-Z0, whatever the
 * archive's codec: dbtool compresses while packing), which is about the heap's size but not exactly, so the total is
 * scaled by a ratio of written bytes to table size: 1 at first, moved towards what the finished tables show as their
 * share of the data grows.
 */
final class DumpProgress implements Reporter.Progress {

    /** Before any table is finished: -Z0 COPY text is about the heap's size. */
    private static final double DEFAULT_RATIO = 1.0;

    private final Path dumpDir;
    private final boolean parallel;
    private final long tables;
    private final long tableBytes;
    private final Map<String, Long> bytesByQualifiedName = new HashMap<>();
    /** By bare name, as pg_dump's "finished item" lines name tables; names in several schemas are left out. */
    private final Map<String, Long> bytesByName = new HashMap<>();
    private final AtomicLong packed = new AtomicLong();
    private final AtomicLong highest = new AtomicLong();
    // Written by the thread that reads pg_dump's output, read by the progress display.
    private volatile long tablesDone;
    private volatile long finishedTableBytes;
    private volatile long finishedFileBytes;
    private volatile boolean finished;
    private long tablesStarted;
    private long bytesStartedSoFar;

    DumpProgress(Path dumpDir, List<Catalog.Relation> relations, boolean parallel) {
        this.dumpDir = dumpDir;
        this.parallel = parallel;
        long count = 0;
        long bytes = 0;
        for (Catalog.Relation r : relations) {
            if (r.kind().equals(Manifest.Table.TABLE)) {
                count++;
                bytes += r.dataBytes();
                bytesByQualifiedName.put(r.qualifiedName(), r.dataBytes());
                bytesByName.merge(r.name(), r.dataBytes(), (a, b) -> -1L);
            }
        }
        this.tables = count;
        this.tableBytes = bytes;
    }

    /** Give every pg_dump event before the packer sees it: a finished table's file is then still in the directory. */
    void onEvent(PgEvent event) {
        if (parallel && event instanceof PgEvent.ItemFinished item && item.isTableData()) {
            tablesDone++;
            String tag = item.line().substring(item.line().indexOf(item.description()) + item.description().length()).strip();
            Long tableSize = bytesByName.get(tag);
            long fileSize = fileSize(item.dumpId());
            if (tableSize != null && tableSize >= 0 && fileSize >= 0) {
                finishedTableBytes += tableSize;
                finishedFileBytes += fileSize;
            }
        } else if (!parallel && event instanceof PgEvent.TableDumpStarted started) {
            // One table at a time: when the next starts, the files of all before it are complete.
            if (tablesStarted > 0) {
                tablesDone++;
            }
            finishedFileBytes = written();
            finishedTableBytes = bytesStartedSoFar;
            tablesStarted++;
            String line = started.line();
            String quoted = line.substring(line.indexOf('"') + 1, Math.max(line.indexOf('"') + 1, line.lastIndexOf('"')));
            bytesStartedSoFar += bytesByQualifiedName.getOrDefault(quoted, 0L);
        }
    }

    /** A file left the dump directory into the archive: its bytes stay counted. */
    void packed(long bytes) {
        packed.addAndGet(bytes);
    }

    /** pg_dump has exited: what it wrote is the whole, every table is done. */
    void finish() {
        tablesDone = tables;
        finished = true;
    }

    @Override
    public long done() {
        // The packer adds a file's size just after deleting it, so a listing may miss it for a moment: the highest
        // value so far keeps the bar from going back meanwhile.
        return highest.accumulateAndGet(written(), Math::max);
    }

    private long written() {
        long bytes = packed.get();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dumpDir)) {
            for (Path file : files) {
                bytes += Math.max(0, sizeOf(file));
            }
        } catch (IOException | DirectoryIteratorException e) {
            // not created yet by pg_dump, or removed after a failure: a display must not fail the export
        }
        return bytes;
    }

    @Override
    public long total() {
        long done = highest.get();
        if (finished) {
            return done;
        }
        long finishedTables = finishedTableBytes;
        // The measured ratio weighs as much as the finished tables' share: a few small tables (often more or less
        // compressible than the big one) must not pull the estimate of a 100 GB table; half the data decides half.
        double prior = tableBytes / 2.0;
        double ratio = (finishedFileBytes + DEFAULT_RATIO * prior) / (finishedTables + prior + 1e-9);
        long expected = finishedFileBytes + Math.round(Math.max(0, tableBytes - finishedTables) * ratio);
        // An estimate below what is written already would show 100% too early: keep a little ahead instead.
        return Math.max(expected, done + done / 20 + 1);
    }

    @Override
    public String detail() {
        return tablesDone + " of " + tables + " tables";
    }

    private long fileSize(int dumpId) {
        return sizeOf(dumpDir.resolve(dumpId + ".dat"));
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return -1; // packed and deleted meanwhile
        }
    }
}
