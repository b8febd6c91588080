package dbtool.transfer;

import dbtool.archive.ArchiveLayout;
import dbtool.archive.ArchiveWriter;
import dbtool.archive.GrowingFileEntry;
import dbtool.archive.Manifest;
import dbtool.pg.PgEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Packs pg_dump's files into an archive body while pg_dump still runs. In parallel mode pg_dump's
 * leader logs {@code finished item <dumpId> TABLE DATA <tag>} only after the worker has written and
 * closed that table's file ({@code <dumpId>.dat}; pg_dump runs with -Z0), so from then on the file
 * never changes: a packer thread appends it to the body and deletes it. Everything else (large objects,
 * every file of a -j1 run, any item whose file was not found) is packed by {@link #packRest} after pg_dump
 * has exited; toc.dat, which pg_dump writes last, goes into the archive's last member instead.
 *
 * <p>With gzip and a parallel dump, a table file that grows past {@link #GROWING_BYTES} is deflated while pg_dump
 * still writes it (see {@link GrowingFileEntry}): the biggest table's compression then overlaps its dump instead of
 * following it, as it does inside pg_dump -Z1. When pg_dump reports it finished, only its last bytes are left to
 * deflate, and its members join the archive as they are.
 */
final class DumpPacker implements AutoCloseable {

    private static final String DATA_SUFFIX = ".dat";
    /** A table's data in a -Z0 dump (large objects are blob_<oid>.dat), whose rows are counted while it is packed. */
    private static final Pattern TABLE_DATA_FILE = Pattern.compile("(\\d+)\\.dat");
    private static final String END = "";
    static final String TOC = "toc.dat";
    /** Smaller table files are packed whole once finished: deflating them early would save little. */
    private static final long GROWING_BYTES = 8L << 20;
    /** How often the dump directory is looked at for table files worth deflating while they grow. */
    private static final long SCAN_MILLIS = 50;

    private record Growing(GrowingFileEntry entry, CopyDataRows rows) {}

    private final ArchiveWriter.Body body;
    private final Path dumpDir;
    private final BlockingQueue<String> finished = new LinkedBlockingQueue<>();
    private final Thread thread;
    private final LongConsumer packedWhileDumping;
    private final Map<String, Long> rowsByDumpId = new ConcurrentHashMap<>();
    /** Only the packer thread touches it. */
    private final Map<String, Growing> growing = new HashMap<>();
    private final Path scratchDir;
    private final boolean deflateWhileWritten;
    private volatile Throwable failure;

    /**
     * @param scratchDir where files deflated while written keep their members until they join the archive (not
     *     the dump directory: pg_dump's own files only)
     * @param parallel pg_dump runs with --jobs 2 or more, so it reports each table file it finished
     * @param packedWhileDumping told the size of each file the background thread packed, once it is gone (progress)
     */
    DumpPacker(ArchiveWriter.Body body, Path dumpDir, Path scratchDir, boolean parallel, LongConsumer packedWhileDumping) {
        this.body = body;
        this.dumpDir = dumpDir;
        this.scratchDir = scratchDir;
        this.deflateWhileWritten = parallel && body.deflatesWhileWritten();
        this.packedWhileDumping = packedWhileDumping;
        this.thread = new Thread(this::run, "dbtool-packer");
        thread.setDaemon(true);
        thread.start();
    }

    /** Give every event of pg_dump: finished table data files are queued for packing. */
    void onPgDumpEvent(PgEvent event) {
        if (event instanceof PgEvent.ItemFinished item && item.isTableData()) {
            finished.add(String.valueOf(item.dumpId()));
        }
    }

    private void run() {
        try {
            while (true) {
                String dumpId = deflateWhileWritten ? finished.poll(SCAN_MILLIS, TimeUnit.MILLISECONDS) : finished.take();
                if (dumpId == null) {
                    startGrowing();
                    continue;
                }
                if (dumpId.equals(END)) {
                    return;
                }
                if (failure != null) {
                    continue;
                }
                Path file = dumpDir.resolve(dumpId + DATA_SUFFIX);
                Growing started = growing.remove(dumpId);
                if (started != null) {
                    packGrowing(dumpId, file, started);
                } else if (Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    long size = Files.size(file);
                    pack(file, n -> { });
                    packedWhileDumping.accept(size);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            failure = t;
            body.abandon();
        } finally {
            // Not reported finished (pg_dump failed, or never said so): their files, if whole, are packRest's.
            for (Growing g : growing.values()) {
                closeQuietly(g.entry());
            }
            growing.clear();
        }
    }

    /** Starts deflating the table files that grew big enough and are not deflated yet. */
    private void startGrowing() throws IOException {
        if (failure != null) {
            return;
        }
        List<Path> files;
        try (Stream<Path> stream = Files.list(dumpDir)) {
            files = stream.toList();
        } catch (java.nio.file.NoSuchFileException notYet) {
            return; // pg_dump has not created its directory yet
        }
        for (Path file : files) {
            Matcher data = TABLE_DATA_FILE.matcher(file.getFileName().toString());
            if (data.matches() && !growing.containsKey(data.group(1)) && sizeOrZero(file) >= GROWING_BYTES) {
                CopyDataRows rows = new CopyDataRows();
                Path scratch = scratchDir.resolve("." + file.getFileName() + ".gz.part");
                growing.put(data.group(1), new Growing(body.startGrowing(file, scratch, rows), rows));
            }
        }
    }

    private void packGrowing(String dumpId, Path file, Growing started) throws IOException {
        try (GrowingFileEntry entry = started.entry()) {
            Manifest.FileEntry written = body.addGrowing(entry, ArchiveLayout.DUMP_PREFIX + file.getFileName());
            started.rows().rows().ifPresent(n -> rowsByDumpId.put(dumpId, n));
            Files.delete(file);
            packedWhileDumping.accept(written.size());
        }
    }

    private static long sizeOrZero(Path file) {
        try {
            return Files.size(file);
        } catch (IOException gone) {
            return 0;
        }
    }

    private static void closeQuietly(GrowingFileEntry entry) {
        try {
            entry.close();
        } catch (IOException ignored) {
            // a scratch file left in the work directory, which is removed with it
        }
    }

    private void pack(Path file, LongConsumer progress) throws IOException {
        String entry = ArchiveLayout.DUMP_PREFIX + file.getFileName();
        if (!ArchiveLayout.isDumpFile(entry)) {
            throw new IOException("pg_dump wrote a file with an unexpected name: " + file.getFileName());
        }
        String name = file.getFileName().toString();
        Matcher data = TABLE_DATA_FILE.matcher(name);
        if (data.matches()) {
            CopyDataRows rows = new CopyDataRows();
            body.add(file, entry, progress, rows);
            rows.rows().ifPresent(n -> rowsByDumpId.put(data.group(1), n));
        } else {
            body.add(file, entry, progress);
        }
        // Packed and hashed: the copy in the work directory is no longer needed.
        Files.delete(file);
    }

    /**
     * Rows of each table data file packed so far, by dump id, counted from the file's own lines (see
     * {@link CopyDataRows}); a file that did not end like COPY data has no entry here.
     */
    Map<String, Long> rowsByDumpId() {
        return Map.copyOf(rowsByDumpId);
    }

    /** Waits until every file reported so far is packed; rethrows what went wrong in the packer. */
    void awaitReported() throws IOException {
        stop();
        if (failure instanceof IOException e) {
            throw e;
        } else if (failure instanceof RuntimeException e) {
            throw e;
        } else if (failure instanceof Error e) {
            throw e;
        }
    }

    /** Bytes not packed yet, for a progress bar. */
    long remainingBytes() throws IOException {
        long total = 0;
        for (Path p : remaining()) {
            total += Files.size(p);
        }
        return total;
    }

    /**
     * Packs what pg_dump left in the directory, by name, except toc.dat: that goes into the archive's last member
     * ({@link ArchiveWriter.Body#addToLastMember}). Call after {@link #awaitReported}.
     */
    void packRest(LongConsumer progress) throws IOException {
        for (Path p : remaining()) {
            pack(p, progress);
        }
    }

    private List<Path> remaining() throws IOException {
        try (Stream<Path> stream = Files.list(dumpDir)) {
            return stream.filter(f -> !f.getFileName().toString().equals(TOC))
                    .sorted(Comparator.comparing(f -> f.getFileName().toString())).toList();
        }
    }

    private void stop() {
        finished.add(END);
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
                body.abandon();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the packer thread (abandoning a copy in progress) when the export fails. */
    @Override
    public void close() {
        if (thread.isAlive()) {
            body.abandon();
            stop();
        }
    }
}
