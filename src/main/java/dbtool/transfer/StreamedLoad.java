package dbtool.transfer;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.archive.ArchiveLayout;
import dbtool.archive.ArchiveReader;
import dbtool.config.ConnectionSettings;
import dbtool.pg.Connections;
import dbtool.pg.PgToolFailure;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Loads each table's data straight from the archive's stream: the reader hands every TABLE DATA entry to {@code jobs}
 * loaders through a few chunks of memory, or through the work directory when its loader is behind and another one is
 * free ({@link SpooledEntry}), each loader sends it with pg_restore's own COPY statement,
 * one transaction per table, and commits only once the reader found the entry's SHA-256 equal to the archive's
 * SHA256SUMS. The server's "COPY n" reply is the table's row count, so no table is scanned afterwards.
 */
final class StreamedLoad implements ArchiveReader.EntryTarget, AutoCloseable {

    private static final Pattern TABLE_DATA_FILE = Pattern.compile(Pattern.quote(ArchiveLayout.DUMP_PREFIX) + "(\\d+)\\.dat(\\.gz)?");
    private static final String TOC_ENTRY = ArchiveLayout.DUMP_PREFIX + DumpPacker.TOC;
    private static final SpooledEntry END = new SpooledEntry("", Path.of(""), false);
    /** What a loader hands to the driver per CopyData message: fewer, larger socket writes. */
    private static final int COPY_BUFFER = 1 << 18;
    /**
     * A table this big is loaded by every loader free while its lines are still to come, each in its own COPY: one
     * backend's COPY is the slowest part of a big table's restore (on the bench, two loading one table took 5.0 s
     * where one took 8.1 s).
     */
    static final long SHARED_BYTES = 64L << 20;
    /** What pg_restore sets before it restores (its preamble), plus no waiting for the WAL flush per table. */
    private static final List<String> SESSION = List.of("set statement_timeout = 0", "set lock_timeout = 0",
            "set idle_in_transaction_session_timeout = 0", "set standard_conforming_strings = on",
            "select pg_catalog.set_config('search_path', '', false)", "set check_function_bodies = false",
            "set xmloption = content", "set client_min_messages = warning", "set row_security = off",
            "set synchronous_commit = off");

    private final DataSection data;
    private final Map<String, String> checksums;
    private final Path spoolDir;
    private final int jobs;
    private final LongConsumer storedBytesLoaded;
    /** Told what only -v shows: which tables several loaders loaded at once. */
    private final java.util.function.Consumer<String> detail;
    /** Where the loaders load, and who is told each TABLE DATA dump id once its table is committed: set by {@link #start}. */
    private volatile ConnectionSettings into;
    private volatile java.util.function.Consumer<String> committed;
    private final WorkDisk disk;
    /** What a spill leaves free on the work disk ({@link WorkDisk#reserve}). */
    private final long reserve;
    /** Bytes of the entries still to come that the reader unpacks for pg_restore (large objects): a spill leaves them room. */
    private final java.util.concurrent.atomic.AtomicLong toUnpack;
    /** Guards {@link #queue} and {@link #helpable}; notified when either changes, or loading stops. */
    private final Object work = new Object();
    /** Entries no loader has taken yet, in the stream's order. */
    private final ArrayDeque<SpooledEntry> queue = new ArrayDeque<>();
    /** Big tables being loaded that a free loader may help load, in the order they were started. */
    private final List<SharedTable> helpable = new ArrayList<>();
    private final Map<String, SpooledEntry> byEntryName = new ConcurrentHashMap<>();
    private final Map<String, Long> rowsByDumpId = new ConcurrentHashMap<>();
    private final CountDownLatch schema = new CountDownLatch(1);
    private final List<Thread> loaders = new ArrayList<>();
    /** The chunks all entries may hold in memory at once: a few per loader, whatever the archive's size. */
    private final Semaphore memory;
    /** Loaders waiting for an entry while the schema exists. */
    private final AtomicInteger idle = new AtomicInteger();
    /**
     * TABLE DATA entries still to come in the stream. Once the last one is open, spilling it would only write it to
     * the work disk and read it back (on the bench: 316 MB of 465): no later entry needs a free loader.
     */
    private final AtomicInteger entriesToCome;
    /** The entry the reader is writing, woken when a loader becomes free. */
    private volatile SpooledEntry writing;
    private volatile boolean schemaReady;
    /** {@link #finish} or {@link #close} ran: no loader starts any more. */
    private boolean stopped;
    private volatile Throwable failure;

    /**
     * @param checksums SHA256SUMS from the archive's tail, by entry name
     * @param spoolDir an empty directory for entries on their way to a loader
     * @param storedBytesLoaded told how many of an entry's stored bytes a loader has sent (progress)
     * @param detail told which tables several loaders loaded at once
     * @param disk the work directory's disk: an entry spills only while it has room for the rest of it
     * @param toUnpack bytes of the entries the reader will unpack into the work directory (not toc.dat)
     */
    StreamedLoad(DataSection data, Map<String, String> checksums, Path spoolDir, int jobs, LongConsumer storedBytesLoaded,
            java.util.function.Consumer<String> detail, WorkDisk disk, long toUnpack) {
        this.detail = detail;
        this.disk = disk;
        this.reserve = disk.reserve(spoolDir);
        this.toUnpack = new java.util.concurrent.atomic.AtomicLong(toUnpack);
        this.data = data;
        this.checksums = checksums;
        this.spoolDir = spoolDir;
        this.jobs = Math.max(1, jobs);
        this.storedBytesLoaded = storedBytesLoaded;
        this.memory = new Semaphore((this.jobs + 1) * SpooledEntry.CHUNKS_PER_ENTRY);
        this.entriesToCome = new AtomicInteger(data.copyByDumpId().size());
    }

    /**
     * Starts the loaders into {@code into} (which exists by now): the archive's stream may start before, its entries
     * wait in memory and then in their files as while the schema is created.
     *
     * @param committed told each TABLE DATA dump id once its table is committed
     */
    synchronized void start(ConnectionSettings into, java.util.function.Consumer<String> committed) {
        if (!loaders.isEmpty() || stopped) {
            throw new IllegalStateException("loaders already started or stopped");
        }
        this.into = into;
        this.committed = committed;
        for (int i = 0; i < jobs; i++) {
            Thread loader = new Thread(this::run, "dbtool-loader-" + i);
            loader.setDaemon(true);
            loaders.add(loader);
            loader.start();
        }
    }

    /** The tables exist (pre-data restored): loading may begin. */
    void schemaReady() {
        schemaReady = true;
        schema.countDown();
    }

    @Override
    public OutputStream open(String entryName, long size) throws IOException {
        if (failure != null) {
            throw new IOException("stopped: loading a table failed");
        }
        if (entryName.equals(TOC_ENTRY)) {
            return OutputStream.nullOutputStream(); // the work directory has it already, from the archive's tail
        }
        Matcher m = TABLE_DATA_FILE.matcher(entryName);
        if (!m.matches() || !data.copyByDumpId().containsKey(m.group(1))) {
            toUnpack.addAndGet(-size); // written before the next spill is weighed: the disk's free space counts it then
            return null; // unpacked for pg_restore: large objects, and whatever no COPY statement is known for
        }
        SpooledEntry entry = new SpooledEntry(m.group(1), spoolDir.resolve(entryName.substring(ArchiveLayout.DUMP_PREFIX.length())),
                m.group(2) != null, memory, this::spill, size, new SpooledEntry.SpillFiles() {
                    @Override
                    public boolean room(long bytes) {
                        return StreamedLoad.room(disk.usableSpace(spoolDir), bytes, toUnpack.get(), reserve);
                    }

                    @Override
                    public OutputStream create(Path file) throws IOException {
                        return disk.create(file);
                    }
                });
        OutputStream out = entry.writer();
        entriesToCome.decrementAndGet();
        byEntryName.put(entryName, entry);
        writing = entry;
        synchronized (work) {
            queue.add(entry);
            work.notifyAll();
        }
        return out;
    }

    @Override
    public void written(String entryName, String sha256) {
        boolean ok = sha256.equals(checksums.get(entryName));
        SpooledEntry entry = byEntryName.get(entryName);
        if (entry != null) {
            entry.verified(ok); // its loader commits or rolls back now
        }
        if (!ok) {
            throw DbToolException.archive(entryName + ": checksum mismatch for '" + entryName
                    + "'; the archive is damaged, restore from another copy");
        }
    }

    /**
     * Whether the reader should write the rest of a full entry to its file instead of waiting for its loader: before
     * the schema exists no loader takes anything, and once the entry is taken, only while another loader is free and
     * another table's data is still to come for it.
     */
    private boolean spill(boolean taken) {
        return spill(taken, schemaReady, idle.get(), entriesToCome.get());
    }

    static boolean spill(boolean taken, boolean schemaReady, int idleLoaders, int entriesToCome) {
        return taken ? idleLoaders > 0 && entriesToCome > 0 : !schemaReady;
    }

    /**
     * Whether a spill file of {@code bytes} fits: the disk's {@code usable} bytes, less the entries still to be
     * unpacked and the {@code reserve}. Only one file grows at a time (the reader's), and it is given the whole rest
     * of its entry here, so the files never take more than this room.
     */
    static boolean room(long usable, long bytes, long toUnpack, long reserve) {
        return usable - toUnpack - reserve >= bytes;
    }

    /** Whether {@code entryName} is a table's data file, which the loaders may take (else it is unpacked). */
    static boolean isTableData(String entryName) {
        return TABLE_DATA_FILE.matcher(entryName).matches();
    }

    /** What went wrong in a loader, or null. */
    Throwable failure() {
        return failure;
    }

    /** Waits until every entry handed over is loaded; the rows each COPY reported, by dump id. */
    Map<String, Long> finish() {
        stop();
        if (failure != null) {
            throw asDbToolException(failure);
        }
        return Map.copyOf(rowsByDumpId);
    }

    /**
     * Stops the loaders (rolling back what they load) unless {@link #finish} already waited for them; before {@link
     * #start}, stops the reader at its next write.
     */
    @Override
    public void close() {
        if (!stopped) {
            fail(new IOException("loading stopped"));
            schema.countDown();
            stop();
        }
    }

    private void stop() {
        List<Thread> loaders;
        synchronized (this) {
            stopped = true;
            loaders = List.copyOf(this.loaders);
        }
        synchronized (work) {
            loaders.forEach(l -> queue.add(END));
            work.notifyAll();
        }
        boolean interrupted = false;
        for (Thread loader : loaders) {
            while (loader.isAlive()) {
                try {
                    loader.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                    fail(e);
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized void fail(Throwable t) {
        if (failure == null) {
            failure = t;
        }
        byEntryName.values().forEach(SpooledEntry::abandon);
        synchronized (work) {
            queue.forEach(SpooledEntry::abandon);
            work.notifyAll();
        }
    }

    private void run() {
        try (Connection connection = Connections.open(into)) {
            try (Statement st = connection.createStatement()) {
                for (String setting : SESSION) {
                    st.execute(setting);
                }
            }
            connection.setAutoCommit(false);
            schema.await();
            LineBlocks.Block block = new LineBlocks.Block();
            while (true) {
                Object next = next();
                if (next == END) {
                    return;
                }
                if (failure != null || !schemaReady) {
                    continue;
                }
                if (next instanceof SharedTable table) {
                    loadPart(connection, table, block);
                } else {
                    load(connection, (SpooledEntry) next, block);
                }
            }
        } catch (SQLException e) {
            fail(new DbToolException(ExitCode.RUNTIME, "loading a table into " + into.describe() + " failed: "
                    + String.valueOf(e.getMessage()).strip().replaceAll("\\s*\\R\\s*", " "), e));
        } catch (InterruptedException e) {
            fail(e);
        } catch (Throwable t) {
            fail(t);
        }
    }

    /**
     * What a loader does next: the next entry no loader has taken, else a share of a big table another loader is
     * loading ({@link SharedTable}, joined already), else the end of the loading once it is there. While there is
     * none of these this loader counts as free, and the reader is told so.
     */
    private Object next() throws InterruptedException {
        boolean free = false;
        synchronized (work) {
            try {
                while (true) {
                    SpooledEntry entry = queue.peek();
                    if (entry != null && entry != END) {
                        return queue.poll();
                    }
                    helpable.removeIf(SharedTable::exhausted);
                    for (SharedTable table : failure == null ? helpable : List.<SharedTable>of()) {
                        if (table.join()) {
                            return table;
                        }
                    }
                    if (entry == END) {
                        return queue.poll(); // nothing left to load or to help with
                    }
                    if (!free) {
                        free = true;
                        idle.incrementAndGet();
                    }
                    SpooledEntry current = writing;
                    if (current != null) {
                        current.loaderFree();
                    }
                    work.wait();
                }
            } finally {
                if (free) {
                    idle.decrementAndGet();
                }
            }
        }
    }

    /**
     * Whether a table waits that no loader has taken: a loader sharing a table leaves it for that (not for the end of
     * the loading, which waits for the tables being loaded).
     */
    private boolean entryWaiting() {
        synchronized (work) {
            SpooledEntry first = queue.peek();
            return first != null && first != END;
        }
    }

    /**
     * Loads {@code entry}, a table no loader has taken yet. A big one is offered to the free loaders as it loads: each
     * one that joins sends its own share of the table's lines ({@link SharedTable}).
     */
    private void load(Connection connection, SpooledEntry entry, LineBlocks.Block block) throws SQLException, IOException {
        LineBlocks lines = new LineBlocks(new Counted(entry.reader()), entry.gzip());
        SharedTable table = new SharedTable(entry, data.copyStatement(entry.dumpId()), lines);
        if (jobs > 1 && entry.size() >= SHARED_BYTES) {
            synchronized (work) {
                helpable.add(table);
                work.notifyAll();
            }
        }
        loadPart(connection, table, block);
    }

    /**
     * Sends this loader's share of {@code table}: blocks of its lines until they end, or until another table waits for
     * a loader and another one shares this table. Commits once the reader found the whole entry's checksum right; the
     * table is loaded when every loader that shared it has committed.
     */
    private void loadPart(Connection connection, SharedTable table, LineBlocks.Block block) throws SQLException, IOException {
        SpooledEntry entry = table.entry();
        long rows;
        try {
            CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI().copyIn(table.copy());
            try {
                while (!table.leave(entryWaiting()) && table.next(block)) {
                    copy.writeToCopy(block.bytes, 0, block.length);
                }
                rows = copy.endCopy();
            } finally {
                if (copy.isActive()) {
                    copy.cancelCopy();
                }
            }
        } catch (SQLException | IOException e) {
            connection.rollback();
            table.stop(); // the others sharing it stop at their next block
            // Stopped because of another failure, or the entry's bytes were damaged (an inflate or COPY error on
            // them is no surprise): the reader or that failure is what is reported.
            if (failure != null || !entry.awaitVerified()) {
                return;
            }
            // One line, like pg_restore's "COPY failed for table": the server's message with its detail.
            String message = "loading " + table.copy().replaceFirst("^COPY ", "table ").replaceFirst(" FROM stdin.*", "")
                    + " failed: " + String.valueOf(e.getMessage()).strip().replaceAll("\\s*\\R\\s*", " ");
            if (e instanceof SQLException sql && sql.getSQLState() != null && !sql.getSQLState().startsWith("08")) {
                // The server refused the data: the restore itself failed, as when pg_restore's COPY fails (backup's
                // verification tells that apart from a server it could not reach).
                PgToolFailure refused = new PgToolFailure("COPY", 1, message, message);
                refused.initCause(e);
                throw refused;
            }
            throw new DbToolException(ExitCode.RUNTIME, message, e);
        }
        if (!entry.awaitVerified()) {
            connection.rollback(); // the reader reports the damaged entry
            table.stop();
            return;
        }
        connection.commit();
        if (table.committed(rows)) {
            rowsByDumpId.put(entry.dumpId(), table.rows());
            if (table.loaders() > 1) {
                detail.accept(tableName(table.copy()) + ": " + table.rows() + " rows loaded by " + table.loaders()
                        + " loaders at once");
            }
            Files.deleteIfExists(entry.file());
            committed.accept(entry.dumpId());
        }
    }

    /**
     * A table's data as one or more loaders load it at once, each in its own COPY and transaction: a free loader joins
     * while its lines are still to come, and leaves between two blocks for a table no loader has taken.
     * The last loader on it stays to the end of its lines. Rows keep the stream's order within each block; blocks sent
     * by different loaders interleave.
     */
    private static final class SharedTable {
        private final SpooledEntry entry;
        private final String copy;
        private final LineBlocks lines;
        /** Loaders sending lines of it. */
        private int sending = 1;
        /** Loaders that joined, the first one included. */
        private int loaders = 1;
        /** Loaders that joined and have not committed yet. */
        private int uncommitted = 1;
        private long rows;
        private boolean exhausted;

        SharedTable(SpooledEntry entry, String copy, LineBlocks lines) {
            this.entry = entry;
            this.copy = copy;
            this.lines = lines;
        }

        SpooledEntry entry() {
            return entry;
        }

        String copy() {
            return copy;
        }

        /** Another loader starts sending a share, unless its lines have all been handed out. */
        synchronized boolean join() {
            if (exhausted) {
                return false;
            }
            sending++;
            uncommitted++;
            loaders++;
            return true;
        }

        synchronized boolean exhausted() {
            return exhausted;
        }

        /** Whether the calling loader stops sending (for {@code entryWaiting}): only while another one goes on. */
        synchronized boolean leave(boolean entryWaiting) {
            if (entryWaiting && sending > 1 && !exhausted) {
                sending--;
                return true;
            }
            return false;
        }

        /** The calling loader's next block; false once the lines are all handed out (or stopped). */
        boolean next(LineBlocks.Block block) throws IOException {
            if (exhausted()) {
                return false;
            }
            if (lines.next(block)) {
                return true;
            }
            stop();
            return false;
        }

        /** No more lines for anyone: they all went out, a loader failed, or the entry was damaged. */
        void stop() throws IOException {
            boolean close;
            synchronized (this) {
                close = !exhausted;
                exhausted = true;
            }
            if (close) {
                lines.close(); // the reader drops what is left of the entry
            }
        }

        /** One loader's share is committed: true for the last, when the whole table is loaded. */
        synchronized boolean committed(long n) {
            rows += n;
            uncommitted--;
            return uncommitted == 0 && exhausted;
        }

        synchronized long rows() {
            return rows;
        }

        synchronized int loaders() {
            return loaders;
        }
    }

    /** The table a COPY statement of pg_restore's loads: "COPY public.cats (id, name) FROM stdin;" is public.cats. */
    static String tableName(String copy) {
        return copy.replaceFirst("^COPY ", "").replaceFirst(" FROM stdin.*", "").replaceFirst(" \\(.*", "");
    }

    /** What a loader's failure means to the user (exit 1 unless it says otherwise). */
    static DbToolException asDbToolException(Throwable t) {
        if (t instanceof DbToolException d) {
            return d;
        }
        if (t instanceof InterruptedException) {
            return new DbToolException(ExitCode.RUNTIME, "interrupted", t);
        }
        return new DbToolException(ExitCode.RUNTIME, "loading the data failed: " + t.getMessage(), t);
    }

    /** Tells the progress bar about the stored bytes a loader has consumed. */
    private final class Counted extends FilterInputStream {
        Counted(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                storedBytesLoaded.accept(n);
            }
            return n;
        }
    }
}
