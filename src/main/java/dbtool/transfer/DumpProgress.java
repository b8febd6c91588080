package dbtool.transfer;

import dbtool.DbToolException;
import dbtool.Reporter;
import dbtool.archive.Manifest;
import dbtool.pg.Catalog;
import dbtool.pg.PgEvent;
import dbtool.pg.TocListing;
import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * How far pg_dump is, in bytes it has written: the files in its directory plus those already packed and deleted.
 * The expected total comes from the catalog: pg_table_size of the tables (heap and TOAST, which pg_dump writes out;
 * not the indexes, which are one CREATE INDEX line each). pg_dump writes uncompressed COPY text (-Z0, whatever the
 * archive's codec: dbtool compresses while packing), which is about the heap's size but not exactly, so the total is
 * scaled by a ratio of written bytes to table size: 1 at first, moved towards what the finished tables show as their
 * share of the data grows.
 *
 * <p>With --schema / --exclude-table (pg_dump applies its own pattern rules) the catalog's tables are more than the
 * dump holds: the dump's toc.dat, which pg_dump writes whole before any table's data, is listed when the first table's
 * data starts, and from then on only the tables with data in it count.
 */
final class DumpProgress implements Reporter.Progress {

    /** Before any table is finished: -Z0 COPY text is about the heap's size. */
    private static final double DEFAULT_RATIO = 1.0;

    private final Path dumpDir;
    private final boolean parallel;
    private final List<Catalog.Relation> relations;
    /** Lists the dump's toc.dat; null when every table of the catalog is dumped. */
    private final Supplier<TocListing> tocReader;
    private volatile Selection selection;
    /** Set by the thread that reads pg_dump's output, read by the exporter once pg_dump has exited. */
    private volatile TocListing toc;
    private boolean tocTried;
    private final AtomicLong packed = new AtomicLong();
    private final AtomicLong highest = new AtomicLong();
    // Written by the thread that reads pg_dump's output, read by the progress display.
    private volatile long tablesDone;
    private volatile long finishedTableBytes;
    private volatile long finishedFileBytes;
    private volatile boolean finished;
    private long tablesStarted;
    private long bytesStartedSoFar;

    /**
     * The tables the bar counts.
     *
     * @param bytesByName by bare name, as pg_dump's "finished item" lines name tables; names in several schemas map to -1
     */
    private record Selection(long tables, long tableBytes, Map<String, Long> bytesByQualifiedName,
            Map<String, Long> bytesByName) {
        static Selection of(List<Catalog.Relation> relations, java.util.function.Predicate<Catalog.Relation> dumped) {
            long count = 0;
            long bytes = 0;
            Map<String, Long> byQualifiedName = new HashMap<>();
            Map<String, Long> byName = new HashMap<>();
            for (Catalog.Relation r : relations) {
                if (r.kind().equals(Manifest.Table.TABLE) && dumped.test(r)) {
                    count++;
                    bytes += r.dataBytes();
                    byQualifiedName.put(r.qualifiedName(), r.dataBytes());
                    byName.merge(r.name(), r.dataBytes(), (a, b) -> -1L);
                }
            }
            return new Selection(count, bytes, byQualifiedName, byName);
        }
    }

    DumpProgress(Path dumpDir, List<Catalog.Relation> relations, boolean parallel) {
        this(dumpDir, relations, parallel, null);
    }

    /** @param tocReader lists the dump's toc.dat (--schema / --exclude-table leave tables out); null: all are dumped */
    DumpProgress(Path dumpDir, List<Catalog.Relation> relations, boolean parallel, Supplier<TocListing> tocReader) {
        this.dumpDir = dumpDir;
        this.parallel = parallel;
        this.relations = List.copyOf(relations);
        this.tocReader = tocReader;
        this.selection = Selection.of(relations, r -> true);
    }

    /** The dump's toc as listed for the bar, if it was: pg_dump does not write toc.dat again after the data. */
    java.util.Optional<TocListing> toc() {
        return java.util.Optional.ofNullable(toc);
    }

    /** Give every pg_dump event before the packer sees it: a finished table's file is then still in the directory. */
    void onEvent(PgEvent event) {
        if (tocReader != null && !tocTried && event instanceof PgEvent.TableDumpStarted) {
            tocTried = true;
            readToc();
        }
        Selection selection = this.selection;
        Map<String, Long> bytesByName = selection.bytesByName();
        Map<String, Long> bytesByQualifiedName = selection.bytesByQualifiedName();
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

    /** Only tables with data in the dump count from now on; a toc that cannot be listed leaves the catalog's. */
    private void readToc() {
        try {
            TocListing listed = tocReader.get();
            selection = Selection.of(relations, r -> listed.has(r.oid(), TocListing.TABLE_DATA));
            toc = listed;
        } catch (DbToolException e) {
            // a display must not fail the export: the bar keeps the catalog's tables, the manifest lists the toc later
        }
    }

    /** A file left the dump directory into the archive: its bytes stay counted. */
    void packed(long bytes) {
        packed.addAndGet(bytes);
    }

    /** pg_dump has exited: what it wrote is the whole, every table is done. */
    void finish() {
        tablesDone = selection.tables();
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
        long tableBytes = selection.tableBytes();
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
        return tablesDone + " of " + selection.tables() + " tables";
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
