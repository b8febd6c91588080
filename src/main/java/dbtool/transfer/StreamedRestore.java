package dbtool.transfer;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.Reporter;
import dbtool.archive.ArchiveLayout;
import dbtool.archive.ArchiveReader;
import dbtool.archive.Manifest;
import dbtool.archive.TailEntries;
import dbtool.config.ConnectionSettings;
import dbtool.pg.PgEvent;
import dbtool.pg.PgProcess;
import dbtool.pg.PgTool;
import dbtool.pg.TocListing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/**
 * Restores an archive while it is read, when its last member holds toc.dat (see {@link ArchiveReader#readTail}):
 * pg_restore creates the schema (pre-data) while the archive's stream starts, each table's data goes from the stream
 * into COPY ({@link StreamedLoad}: committed only when its checksum matched; the server's reply is its row count),
 * and once the whole archive and its sidecar are verified pg_restore restores the rest of the data section
 * (sequences' values, large objects) and builds the indexes and constraints (post-data) with N jobs. No
 * uncompressed copy of the dump is written, and the tables are not counted afterwards.
 */
final class StreamedRestore {

    private final Reporter reporter;
    private final PgTool pgRestore;
    private final ImportOptions options;
    private final Manifest manifest;
    private final TailEntries tail;
    private final Path workDir;
    private final Path dumpDir;
    private final TocListing toc;
    private final DataSection data;
    private final List<String> verboseListing;
    private final List<String> postDataLines;
    /** Where spilled entries go: only while it has room ({@link StreamedLoad}). */
    private final WorkDisk disk;
    /** The archive's stream once started ({@link #startReading} or {@link #into}); guarded by this. */
    private Reading reading;
    /** {@link #into} took the stream over: it stops it on every way out. Guarded by this. */
    private boolean readingTaken;

    /** The reader on its thread, and the loaders it hands each table to. */
    private record Reading(StreamedLoad load, CompletableFuture<ArchiveReader.Result> result) {}

    private StreamedRestore(Reporter reporter, PgTool pgRestore, ImportOptions options, TailEntries tail, Path workDir,
            TocListing toc, DataSection data, List<String> verboseListing, List<String> postDataLines, WorkDisk disk) {
        this.disk = disk;
        this.verboseListing = verboseListing;
        this.postDataLines = postDataLines;
        this.reporter = reporter;
        this.pgRestore = pgRestore;
        this.options = options;
        this.manifest = tail.manifest();
        this.tail = tail;
        this.workDir = workDir;
        this.dumpDir = workDir.resolve(ArchiveLayout.DUMP_DIR);
        this.toc = toc;
        this.data = data;
    }

    /**
     * Writes the tail's toc.dat into {@code workDir}/dump (once; {@link #plan} finds it there) and returns that
     * directory: all that pg_restore needs to create the schema, so {@link #startSchema} can run before the plan is.
     */
    static Path writeToc(TailEntries tail, Path workDir) throws IOException {
        Path dump = workDir.resolve(ArchiveLayout.DUMP_DIR);
        if (!Files.isRegularFile(dump.resolve(DumpPacker.TOC))) {
            Files.createDirectories(dump);
            Files.write(dump.resolve(DumpPacker.TOC), tail.toc().orElseThrow());
        }
        return dump;
    }

    /**
     * Creates the schema ({@code --section=pre-data}) of the dump in {@code dumpDir} in {@code into} on another
     * thread, while pg_restore's look-ups of the toc for {@link #plan} still run: it needs only toc.dat and the
     * database, and it is on the way to the first row loaded. The future holds pg_restore's warnings, or fails as
     * {@link #pgRestore} does; {@link #into} waits for it instead of creating the schema itself.
     */
    static CompletableFuture<List<String>> startSchema(Reporter reporter, PgTool pgRestore, ImportOptions options,
            Path dumpDir, ConnectionSettings into) {
        return Background.supply("schema", () -> {
            List<String> warnings = new ArrayList<>();
            pgRestore(reporter, pgRestore, options, dumpDir, into, List.of("--section=pre-data"), warnings, event -> { });
            return warnings;
        });
    }

    /**
     * The plan for a streamed restore, or empty when this archive is restored the classic way (no toc.dat in the
     * last member, or pg_restore's view of the toc is not what the loaders need). Writes toc.dat into
     * {@code workDir}/dump; on empty the work directory is left as it was.
     */
    static Optional<StreamedRestore> plan(Reporter reporter, PgTool pgRestore, ImportOptions options, TailEntries tail,
            Path workDir, WorkDisk disk) throws IOException {
        if (tail.toc().isEmpty()) {
            return Optional.empty();
        }
        Path dump = writeToc(tail, workDir);
        Path scratch = Files.createDirectory(workDir.resolve("copy-statements"));
        Optional<DataSection> data = Optional.empty();
        TocListing toc = null;
        List<String> verbose = null;
        List<String> postData = null;
        try {
            // Three independent looks at the toc, at once: each pg_restore start costs ~0.15 s on a busy machine.
            CompletableFuture<List<String>> verboseListing = Background.supply("toc-list", () -> DataSection.run(
                    pgRestore, List.of("--list", "--verbose", dump.toString()), options.target()));
            CompletableFuture<List<String>> postDataListing = Background.supply("toc-post-data", () -> DataSection.run(
                    pgRestore, List.of("--list", "--section=post-data", dump.toString()), options.target()));
            data = DataSection.read(pgRestore, dump, scratch, options.target());
            verbose = verboseListing.join();
            postData = postDataListing.join();
            toc = verbose == null ? null : TocListing.parse(verbose); // the dependency lines are not entries
        } catch (java.util.concurrent.CompletionException e) {
            reporter.detail("pg_restore could not read the archive's toc.dat (" + e.getCause() + ")");
        } catch (DbToolException e) {
            reporter.detail("pg_restore could not read the archive's toc.dat (" + e.getMessage() + ")");
        } finally {
            WorkFiles.deleteRecursively(scratch);
        }
        if (data.isEmpty() || verbose == null || postData == null) {
            WorkFiles.deleteRecursively(dump);
            reporter.detail("restoring the classic way: the COPY statements could not be read from toc.dat");
            return Optional.empty();
        }
        List<String> postDataEntries = postData.stream().filter(l -> l.matches("^\\d+; .*")).toList();
        return Optional.of(new StreamedRestore(reporter, pgRestore, options, tail, workDir, toc, data.get(), verbose,
                postDataEntries, disk));
    }

    /**
     * Starts reading the archive before the database to restore into exists (it is being created): the first tables
     * of the stream wait in memory and then in the work directory, as while the schema is created, and the loaders
     * start with {@link #into}. Unless {@link #into} follows, {@link #stopReading} must.
     */
    synchronized void startReading() throws IOException {
        if (reading == null) {
            reading = newReading();
        }
    }

    /** Stops the stream {@link #startReading} began, when {@link #into} never took it over, and waits for its reader. */
    void stopReading() {
        Reading started;
        synchronized (this) {
            started = readingTaken ? null : reading;
            reading = null;
        }
        if (started != null) {
            started.load().close();
            awaitQuietly(started.result());
        }
    }

    /** Whether the stream {@link #startReading} began has read the whole archive (tests). */
    synchronized boolean readToTheEnd() {
        return reading != null && reading.result().isDone() && !reading.result().isCompletedExceptionally();
    }

    private Reading newReading() throws IOException {
        Path spool = Files.createDirectory(workDir.resolve("spool"));
        long toUnpack = manifest.files().stream().filter(f -> !isCopyEntry(f.path())
                && !f.path().equals(ArchiveLayout.DUMP_PREFIX + DumpPacker.TOC)).mapToLong(Manifest.FileEntry::size).sum();
        StreamedLoad load = new StreamedLoad(data, tail.checksums().byName(), spool, options.jobs(), reporter::progressStep,
                reporter::detail, disk, toUnpack);
        CompletableFuture<ArchiveReader.Result> result = Background.supply("archive-reader", () -> ArchiveReader.read(
                options.archive(), workDir, n -> { }, options.decryptor(), manifest, load));
        return new Reading(load, result);
    }

    private synchronized Reading takeReading() throws IOException {
        if (reading == null) {
            reading = newReading();
        }
        readingTaken = true;
        return reading;
    }

    /**
     * Restores everything into {@code into}, which exists and is empty. Puts the row count of every table loaded by
     * COPY into {@code counted} (by qualified name) and returns pg_restore's warnings.
     */
    List<String> into(ConnectionSettings into, Map<String, Long> counted) throws IOException {
        return into(into, counted, null);
    }

    /** As above; {@code schema}, when not null, is {@link #startSchema} already running for {@code into}. */
    List<String> into(ConnectionSettings into, Map<String, Long> counted, CompletableFuture<List<String>> schema)
            throws IOException {
        int jobs = Math.max(1, options.jobs());
        reporter.info("restoring into " + into.describe() + " with " + jobs + " jobs");
        reporter.detail("streaming " + options.archive().name() + ": schema first, each table's data into COPY as"
                + " the archive is read (" + data.copyByDumpId().size() + " tables), then indexes and constraints");
        List<String> warnings = new ArrayList<>();
        long copyBytes = manifest.files().stream().filter(f -> isCopyEntry(f.path())).mapToLong(Manifest.FileEntry::size).sum();
        ArchiveReader.Result read;
        Map<String, Long> rows;
        reporter.progressStart("restoring", copyBytes, "B");
        java.util.concurrent.atomic.AtomicInteger batches = new java.util.concurrent.atomic.AtomicInteger();
        Set<String> dataIds = data.lines().stream().map(l -> l.substring(0, l.indexOf(';'))).collect(Collectors.toSet());
        List<String> finalPostData;
        Reading started = takeReading();
        try (EarlyIndexes early = EarlyIndexes.plan(verboseListing, postDataLines, dataIds, data.copyByDumpId().keySet(),
                        lines -> {
                            Path list = workDir.resolve("early-" + batches.incrementAndGet() + ".list");
                            try {
                                Files.write(list, lines);
                            } catch (IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                            pgRestore(into, List.of("--section=post-data", "--use-list=" + list), warnings, event -> { });
                        });
                StreamedLoad load = started.load()) {
            CompletableFuture<ArchiveReader.Result> reading = started.result();
            load.start(into, early::loaded);
            if (schema == null) {
                pgRestore(into, List.of("--section=pre-data"), warnings, event -> { });
            } else {
                warnings.addAll(awaitSchema(schema));
            }
            load.schemaReady();
            read = await(reading, load);
            rows = load.finish();
            finalPostData = early.finish();
            reporter.detail((postDataLines.size() - finalPostData.size()) + " indexes and constraints were built while"
                    + " other tables loaded");
        } catch (RuntimeException | Error e) {
            // The loaders are stopped (closed above); the reader stops at its next write: wait for it, so that
            // nothing writes into the work directory once the caller removes it.
            started.load().close();
            awaitQuietly(started.result());
            if (e instanceof java.io.UncheckedIOException io) {
                throw io.getCause(); // e.g. the work disk is full: the import says so, and drops the database it created
            }
            throw e;
        } finally {
            reporter.progressEnd();
        }
        reporter.detail(options.archive().name() + ": " + read.filesChecked() + " checksums verified"
                + (read.sidecarChecked() ? ", sidecar verified" : ", no sidecar found"));
        if (!read.sidecarChecked()) {
            reporter.warn(options.archive().name() + " has no .sha256 sidecar; relying on the checksums inside the archive");
        }
        List<String> rest = data.linesExcept(rows.keySet());
        if (!rest.isEmpty()) {
            Path list = workDir.resolve("data-rest.list");
            Files.write(list, rest);
            pgRestore(into, List.of("--section=data", "--use-list=" + list, "--jobs=" + jobs), warnings, event -> { });
        }
        Set<String> finalIds = finalPostData.stream().map(l -> l.substring(0, l.indexOf(';'))).collect(Collectors.toSet());
        long postData = toc.entries().stream().filter(e -> TocListing.POST_DATA.contains(e.description())
                && finalIds.contains(e.dumpId())).count();
        Path finalList = workDir.resolve("post-data.list");
        Files.write(finalList, finalPostData);
        reporter.progressStart("building indexes", postData, " items");
        try {
            pgRestore(into, List.of("--section=post-data", "--use-list=" + finalList, "--jobs=" + jobs), warnings, event -> {
                if (event instanceof PgEvent.ItemFinished item && TocListing.POST_DATA.contains(item.description())) {
                    reporter.progressStep(1);
                }
            });
        } finally {
            reporter.progressEnd();
        }
        Map<String, Manifest.Table> tables = Importer.dataItems(toc, manifest);
        rows.forEach((dumpId, n) -> {
            Manifest.Table table = tables.get(dumpId);
            if (table != null) {
                counted.put(table.qualifiedName(), n);
            }
        });
        if (!warnings.isEmpty()) {
            reporter.warn("pg_restore printed " + warnings.size() + " warning(s), first: " + warnings.get(0));
        }
        return warnings;
    }

    private boolean isCopyEntry(String path) {
        String name = path.startsWith(ArchiveLayout.DUMP_PREFIX) ? path.substring(ArchiveLayout.DUMP_PREFIX.length()) : "";
        String id = name.endsWith(".dat.gz") ? name.substring(0, name.length() - 7)
                : name.endsWith(".dat") ? name.substring(0, name.length() - 4) : "";
        return data.copyByDumpId().containsKey(id);
    }

    /** The archive's read: its own failure, unless a loader failed first (then the reader only saw it stop). */
    private static ArchiveReader.Result await(CompletableFuture<ArchiveReader.Result> reading, StreamedLoad load) {
        try {
            return reading.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DbToolException(ExitCode.RUNTIME, "interrupted", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (load.failure() != null) {
                throw StreamedLoad.asDbToolException(load.failure());
            }
            if (cause instanceof DbToolException d) {
                throw d;
            }
            if (cause instanceof java.io.UncheckedIOException diskFull) {
                throw diskFull;
            }
            throw new DbToolException(ExitCode.RUNTIME, "reading the archive failed: " + cause, cause);
        }
    }

    /** The schema's pg_restore run: its warnings, or its own failure. */
    private static List<String> awaitSchema(CompletableFuture<List<String>> schema) {
        try {
            return schema.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new DbToolException(ExitCode.RUNTIME, "creating the schema failed: " + e.getCause(), e.getCause());
        }
    }

    private static void awaitQuietly(CompletableFuture<?> reading) {
        try {
            reading.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException stoppedOnPurpose) {
            // the reader stopped because the loading was closed: the caller reports why
        }
    }

    /** One pg_restore run on the dump directory; its warnings are collected, an error stops the import. */
    private void pgRestore(ConnectionSettings into, List<String> section, List<String> warnings, Consumer<PgEvent> onEvent) {
        pgRestore(reporter, pgRestore, options, dumpDir, into, section, warnings, onEvent);
    }

    private static void pgRestore(Reporter reporter, PgTool pgRestore, ImportOptions options, Path dumpDir,
            ConnectionSettings into, List<String> section, List<String> warnings, Consumer<PgEvent> onEvent) {
        List<String> args = new ArrayList<>(section);
        args.add("--verbose");
        if (!options.keepOwners()) {
            args.add("--no-owner");
            args.add("--no-privileges");
        }
        args.addAll(PgProcess.connectionArguments(into));
        args.add(dumpDir.toString());
        PgProcess.Result result = new PgProcess(pgRestore, args, into, event -> {
            if (event instanceof PgEvent.Warning) {
                synchronized (warnings) {
                    warnings.add(event.line().strip());
                }
            }
            onEvent.accept(event);
            reporter.detail(event.line());
        }).run();
        if (!result.ok()) {
            String first = result.errors().isEmpty() ? result.firstError()
                    : result.errors().stream().limit(3).map(String::strip).reduce((a, b) -> a + " | " + b).orElseThrow();
            throw result.failure("pg_restore failed with " + Math.max(1, result.errors().size()) + " error(s): " + first);
        }
    }
}
