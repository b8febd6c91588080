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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.postgresql.PGConnection;

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
    /** Where the loaders load, and who is told each TABLE DATA dump id once its table is committed: set by {@link #start}. */
    private volatile ConnectionSettings into;
    private volatile java.util.function.Consumer<String> committed;
    private final WorkDisk disk;
    /** What a spill leaves free on the work disk ({@link WorkDisk#reserve}). */
    private final long reserve;
    /** Bytes of the entries still to come that the reader unpacks for pg_restore (large objects): a spill leaves them room. */
    private final java.util.concurrent.atomic.AtomicLong toUnpack;
    private final BlockingQueue<SpooledEntry> queue = new LinkedBlockingQueue<>();
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
     * @param disk the work directory's disk: an entry spills only while it has room for the rest of it
     * @param toUnpack bytes of the entries the reader will unpack into the work directory (not toc.dat)
     */
    StreamedLoad(DataSection data, Map<String, String> checksums, Path spoolDir, int jobs, LongConsumer storedBytesLoaded,
            WorkDisk disk, long toUnpack) {
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
        queue.add(entry);
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
        loaders.forEach(l -> queue.add(END));
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
        queue.forEach(SpooledEntry::abandon);
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
            while (true) {
                SpooledEntry entry = next();
                if (entry == END) {
                    return;
                }
                if (failure != null || !schemaReady) {
                    continue;
                }
                load(connection, entry);
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

    /** The next entry; while there is none this loader counts as free, and the reader is told so. */
    private SpooledEntry next() throws InterruptedException {
        SpooledEntry entry = queue.poll();
        if (entry != null) {
            return entry;
        }
        idle.incrementAndGet();
        try {
            SpooledEntry current = writing;
            if (current != null) {
                current.loaderFree();
            }
            return queue.take();
        } finally {
            idle.decrementAndGet();
        }
    }

    private void load(Connection connection, SpooledEntry entry) throws SQLException, IOException {
        String copy = data.copyStatement(entry.dumpId());
        long rows;
        try (InputStream stored = new Counted(entry.reader());
                InputStream raw = entry.gzip() ? new GZIPInputStream(stored, COPY_BUFFER) : stored) {
            rows = connection.unwrap(PGConnection.class).getCopyAPI().copyIn(copy, raw, COPY_BUFFER);
        } catch (SQLException | IOException e) {
            connection.rollback();
            // Stopped because of another failure, or the entry's bytes were damaged (an inflate or COPY error on
            // them is no surprise): the reader or that failure is what is reported.
            if (failure != null || !entry.awaitVerified()) {
                return;
            }
            // One line, like pg_restore's "COPY failed for table": the server's message with its detail.
            String message = "loading " + copy.replaceFirst("^COPY ", "table ").replaceFirst(" FROM stdin.*", "")
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
            return;
        }
        connection.commit();
        rowsByDumpId.put(entry.dumpId(), rows);
        Files.deleteIfExists(entry.file());
        committed.accept(entry.dumpId());
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
