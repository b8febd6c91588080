package dbtool.transfer;

import dbtool.Reporter;
import dbtool.pg.PgEvent;
import dbtool.pg.TocListing;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where pg_restore -v is, from its own lines: first the tables' data (loaded of total; bytes of COPY data: those of the
 * loaded tables plus what the server reports for the COPYs running, see {@link CopyBytesOnServer}), then, once every table is loaded, the post-data items (indexes, constraints, triggers, materialized views'
 * data) that a user knows as "building indexes". In parallel mode "finished item" marks each item done; a -j1 restore
 * only says what it starts, so an item counts as done when the next one starts, and all are done when it exits.
 */
final class RestoreProgress {

    /** The post-data items of a TOC: the work after the data, often as long as loading it. */
    private static final Set<String> POST_DATA = Set.copyOf(TocListing.POST_DATA);

    private static final Pattern DATA_STARTED = Pattern.compile("^pg_restore: processing data for table ");
    private static final Pattern POST_DATA_STARTED = Pattern.compile("^pg_restore: creating ("
            + String.join("|", TocListing.POST_DATA) + ") "); // longest first where one starts another

    /** What the display is told when the phase changes. */
    interface Phases {
        void building();
    }

    private final Map<String, Long> dataBytesByDumpId;
    private final CopyBytesOnServer copying;
    private final java.util.concurrent.atomic.AtomicLong highest = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.List<TocListing.Entry> dataEntries;
    private final boolean parallel;
    private final long dataBytes;
    private final long postDataItems;
    private volatile long tablesDone;
    private volatile long bytesDone;
    private volatile long postDataDone;
    private volatile boolean building;
    private long postDataStarted;
    private String loading; // -j1: the data item being loaded, if any

    private RestoreProgress(Map<String, Long> dataBytesByDumpId, java.util.List<TocListing.Entry> dataEntries,
            long postDataItems, boolean parallel, CopyBytesOnServer copying) {
        this.dataBytesByDumpId = dataBytesByDumpId;
        this.copying = copying;
        this.dataEntries = dataEntries;
        this.parallel = parallel;
        this.dataBytes = dataBytesByDumpId.values().stream().mapToLong(Long::longValue).sum();
        this.postDataItems = postDataItems;
    }

    /**
     * The tables and post-data items of an unpacked dump, with each table's COPY data size.
     *
     * @param copying the COPY bytes the server has taken in so far, or null: then a table counts once loaded
     */
    static RestoreProgress of(TocListing toc, Path dumpDir, boolean parallel, CopyBytesOnServer copying) {
        Map<String, Long> data = new HashMap<>();
        java.util.List<TocListing.Entry> entries = new java.util.ArrayList<>();
        long postData = 0;
        for (TocListing.Entry e : toc.entries()) {
            if (e.description().equals(TocListing.TABLE_DATA)) {
                data.put(e.dumpId(), copyDataSize(dumpDir, e.dumpId()));
                entries.add(e);
            } else if (POST_DATA.contains(e.description())) {
                postData++;
            }
        }
        return new RestoreProgress(data, entries, postData, parallel, copying);
    }

    /**
     * The bytes pg_restore sends for one table: its .dat file, or what its .dat.gz inflates to. gzip keeps that size,
     * modulo 2^32, in its last four bytes (pg_dump writes one gzip member per file): no need to inflate the file.
     */
    static long copyDataSize(Path dumpDir, String dumpId) {
        try {
            Path plain = dumpDir.resolve(dumpId + ".dat");
            if (Files.exists(plain)) {
                return Files.size(plain);
            }
            Path gz = dumpDir.resolve(dumpId + ".dat.gz");
            if (!Files.exists(gz)) {
                return 0;
            }
            long compressed = Files.size(gz);
            if (compressed < 4) {
                return 0;
            }
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(gz)) {
                java.nio.ByteBuffer tail = java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                channel.read(tail, compressed - 4);
                long size = Integer.toUnsignedLong(tail.flip().getInt());
                while (size < compressed) { // inflated sizes past 4 GiB wrap around
                    size += 1L << 32;
                }
                return size;
            }
        } catch (java.io.IOException e) {
            return 0; // progress only
        }
    }

    /** Takes one line of pg_restore -v; tells {@code phases} once, when every table is loaded. */
    synchronized void onEvent(PgEvent event, Phases phases) {
        if (event instanceof PgEvent.ItemFinished item) {
            if (item.isTableData()) {
                loaded(String.valueOf(item.dumpId()));
            } else if (POST_DATA.contains(item.description())) {
                postDataDone++;
            }
        } else if (!parallel) {
            Matcher data = DATA_STARTED.matcher(event.line());
            if (data.find()) {
                loadedBefore();
                loading = dumpIdOf(event.line().substring(data.end()).strip());
            } else if (POST_DATA_STARTED.matcher(event.line()).find()) {
                loadedBefore();
                if (postDataStarted++ > 0) {
                    postDataDone++;
                }
            }
        }
        if (!building && tablesDone >= dataBytesByDumpId.size() && (parallel || postDataStarted > 0)) {
            building = true;
            phases.building();
        }
    }

    /** -j1: the table loaded before was finished when pg_restore went on. */
    private void loadedBefore() {
        if (loading != null) {
            loaded(loading);
            loading = null;
        }
    }

    /** The dump id of {@code "schema.name"} as -j1 names the table it loads; "" when no entry matches. */
    private String dumpIdOf(String quoted) {
        String qualified = quoted.length() >= 2 && quoted.startsWith("\"") ? quoted.substring(1, quoted.length() - 1) : quoted;
        for (int dot = qualified.indexOf('.'); dot >= 0; dot = qualified.indexOf('.', dot + 1)) {
            String schema = qualified.substring(0, dot);
            String name = qualified.substring(dot + 1);
            for (TocListing.Entry e : dataEntries) {
                if (e.names(schema, name)) {
                    return e.dumpId();
                }
            }
        }
        return "";
    }

    private void loaded(String dumpId) {
        tablesDone++;
        Long bytes = dataBytesByDumpId.get(dumpId);
        if (bytes != null) {
            bytesDone += bytes;
        }
    }

    /** pg_restore has exited: everything it had to do is done. */
    void finish() {
        tablesDone = dataBytesByDumpId.size();
        bytesDone = dataBytes;
        postDataDone = postDataItems;
    }

    /** Tables loaded, by the bytes of their dump files. */
    Reporter.Progress loading() {
        return new Reporter.Progress() {
            @Override
            public long done() {
                long inTables = copying != null && !building ? copying.getAsLong() : 0;
                // A COPY that just ended may be counted in both for a moment: never past the total, never back.
                return highest.accumulateAndGet(Math.min(bytesDone + inTables, dataBytes), Math::max);
            }

            @Override
            public long total() {
                return dataBytes;
            }

            @Override
            public String detail() {
                return Math.min(tablesDone, dataBytesByDumpId.size()) + " of " + dataBytesByDumpId.size() + " tables";
            }

            @Override
            public boolean steady() {
                // Without the server's COPY progress (before PostgreSQL 14) a table's bytes count when it is loaded.
                return copying != null && copying.works();
            }
        };
    }

    /** Post-data items done of total. */
    Reporter.Progress building() {
        return new Reporter.Progress() {
            @Override
            public long done() {
                return Math.min(postDataDone, postDataItems);
            }

            @Override
            public long total() {
                return postDataItems;
            }

            @Override
            public boolean steady() {
                return false; // one index may take longer than all others
            }
        };
    }

    boolean hasPostData() {
        return postDataItems > 0;
    }
}
