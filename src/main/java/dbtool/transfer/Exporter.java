package dbtool.transfer;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.Reporter;
import dbtool.archive.ArchiveLayout;
import dbtool.archive.ArchiveWriter;
import dbtool.archive.Checksums;
import dbtool.archive.Compression;
import dbtool.archive.Manifest;
import dbtool.config.ConnectionSettings;
import dbtool.pg.Catalog;
import dbtool.pg.Connections;
import dbtool.pg.PgProcess;
import dbtool.pg.PgTool;
import dbtool.pg.PgToolLocator;
import dbtool.pg.PgVersion;
import dbtool.pg.TocListing;
import dbtool.storage.ArchiveStore;
import dbtool.storage.LocalStore;
import dbtool.storage.S3Location;
import dbtool.storage.StoredArchive;
import dbtool.storage.Stores;
import dbtool.storage.Upload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/**
 * Exports one database into a verified archive. The row counts in the manifest are taken inside the
 * very snapshot pg_dump reads (pg_export_snapshot + --snapshot), while pg_dump runs, so on a live
 * database they describe exactly the rows of the dump.
 */
public final class Exporter {

    public static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final PgToolLocator tools;
    private final Reporter reporter;
    private final String toolVersion;
    private final Stores stores;

    /** Writes to local directories only, or to buckets with the AWS defaults of this process's environment. */
    public Exporter(PgToolLocator tools, Reporter reporter, String toolVersion) {
        this(tools, reporter, toolVersion, Stores.fromSystemEnvironment());
    }

    public Exporter(PgToolLocator tools, Reporter reporter, String toolVersion, Stores stores) {
        this.tools = tools;
        this.reporter = reporter;
        this.toolVersion = toolVersion;
        this.stores = stores;
    }

    public ExportResult export(ExportOptions options) {
        long started = System.nanoTime();
        ConnectionSettings source = options.source();
        ExportResult result = null;
        ArchiveStore opened = null;
        try (Connection snapshotConnection = Connections.open(source); WorkFiles work = new WorkFiles()) {
            PgVersion server = Catalog.serverVersion(snapshotConnection);
            PgTool pgDump = tools.forServer("pg_dump", server);
            PgTool pgRestore = tools.forServer("pg_restore", pgDump.version());
            reporter.detail("using " + pgDump.executable() + " " + pgDump.version() + " for server " + server);
            // Only now, when a suitable pg_dump exists: a refused export must leave nothing behind (and no bucket call).
            Target target = prepareTarget(options, work);
            opened = target.store();

            Path workDir = target.workDir();
            Path dumpDir = workDir.resolve(ArchiveLayout.DUMP_DIR);

            snapshotConnection.setAutoCommit(false);
            snapshotConnection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            snapshotConnection.setReadOnly(true);
            String snapshot = exportSnapshot(snapshotConnection);
            List<Catalog.Relation> relations = Catalog.relations(snapshotConnection);
            List<Manifest.Extension> extensions = Catalog.extensions(snapshotConnection);

            // An uncompressed dump's tables are counted from the data pg_dump writes, while it is packed
            // (see CopyDataRows): no second scan of every table. pg_dump's -Z1 files would have to be inflated
            // for that, which costs more CPU than count(*), so with gzip the tables are counted in the snapshot
            // while pg_dump reads, as are populated materialized views (they have no data file). Same snapshot,
            // so the same rows, and the scans overlap.
            boolean countFromDump = options.compression() != Compression.GZIP;
            List<Catalog.Relation> scanned = relations.stream()
                    .filter(r -> r.kind().equals(Manifest.Table.MATERIALIZED_VIEW) ? r.populated()
                            : r.kind().equals(Manifest.Table.TABLE) && !countFromDump)
                    .toList();
            CompletableFuture<Map<String, Long>> counting = CompletableFuture.supplyAsync(
                    () -> countInSnapshot(snapshotConnection, scanned));
            // Pack while pg_dump writes: each table file joins the archive body as soon as pg_dump closed it.
            ArchiveWriter writer = new ArchiveWriter(options.compression(), Math.max(1, options.jobs()), options.encryption());
            Path bodyFile = work.track(target.staging().resolve("." + target.name() + ".body"));
            ArchiveWriter.Written written;
            Manifest manifest;
            try (ArchiveWriter.Body body = writer.openBody(bodyFile, target.createdAt());
                    DumpPacker packer = new DumpPacker(body, dumpDir, packedBytes(reporter))) {
                runPgDump(pgDump, options, snapshot, dumpDir, relations, packer::onPgDumpLine);
                packer.awaitReported();
                Map<String, Long> counts = new HashMap<>(join(counting));
                TocListing toc = TocListing.read(pgRestore, dumpDir, source);

                // Usually only toc.dat is left by now; a bar is worth showing for a -j1 dump's files.
                boolean showPacking = packer.remainingBytes() >= (8L << 20);
                if (showPacking) {
                    reporter.progressStart("packing", packer.remainingBytes(), "B");
                }
                try {
                    packer.packRest(showPacking ? reporter::progressStep : n -> { });
                } finally {
                    if (showPacking) {
                        reporter.progressEnd();
                    }
                }
                if (countFromDump) {
                    counts.putAll(tableRows(relations, toc, packer.rowsByDumpId(), snapshotConnection));
                }
                List<Manifest.Table> tables = tablesInDump(relations, counts, toc);
                snapshotConnection.commit();
                body.finish();
                manifest = new Manifest(Manifest.FORMAT, Manifest.FORMAT_VERSION, toolVersion,
                        target.createdAt().toString(), options.project(),
                        new Manifest.Source(source.host(), source.port(), source.database(), source.effectiveUser()),
                        server.toString(), pgDump.version().toString(), "directory",
                        options.compression().cliName(),
                        options.compression() == Compression.GZIP ? "gzip:1" : "none",
                        "snapshot", tables, extensions, body.files());
                written = upload(writer, body, manifest, target, work);
            }
            Files.delete(bodyFile);
            work.release(bodyFile);
            // The sidecar is written last: an archive without one is recognisably unfinished.
            String sidecarName = target.name() + ".sha256";
            target.store().writeText(sidecarName, Checksums.sidecarLine(written.sha256(), target.name()));
            long millis = (System.nanoTime() - started) / 1_000_000;
            result = new ExportResult(new StoredArchive(target.store(), target.name()),
                    target.store().locationOf(sidecarName), written.sha256(), written.size(), manifest, millis);
            return result;
        } catch (SQLException e) {
            throw Connections.explain(source, e);
        } catch (IOException e) {
            throw ioFailure(options, e);
        } finally {
            if (result == null && opened != null) {
                opened.close();
            }
        }
    }

    /** Bytes written so far, shown beside the "tables done" bar while pg_dump runs. */
    private static java.util.function.LongConsumer packedBytes(Reporter reporter) {
        java.util.concurrent.atomic.AtomicLong total = new java.util.concurrent.atomic.AtomicLong();
        return n -> reporter.progressBytes(total.addAndGet(n));
    }

    /**
     * Where the archive goes and where its temporary files are made: beside it on local disk, or for a bucket in
     * $DBTOOL_WORK_DIR (default: the system's temporary directory). The store is handed on to the result.
     */
    private record Target(ArchiveStore store, Path staging, String name, Instant createdAt, Path workDir) {}

    /**
     * Streams the archive into its store: a .partial file renamed into place after fsync, or a multipart upload that
     * is completed only at the end, so no reader ever sees half an archive under the final name.
     */
    private static ArchiveWriter.Written upload(ArchiveWriter writer, ArchiveWriter.Body body, Manifest manifest,
            Target target, WorkFiles work) throws IOException {
        Path partial = target.store().localDirectory().map(d -> d.resolve(LocalStore.partialName(target.name())))
                .orElse(null);
        if (partial != null) {
            work.track(partial);
        }
        try (Upload upload = target.store().create(target.name())) {
            ArchiveWriter.Written written = writer.assemble(body, manifest, upload.stream());
            upload.commit();
            if (partial != null) {
                work.release(partial);
            }
            return written;
        }
    }

    private static final java.util.regex.Pattern ARCHIVE_LIKE =
            java.util.regex.Pattern.compile(".*\\.(tar\\.gz|tgz|tar\\.zst|tzst|tar|gz|zst|zip|age)$");

    /**
     * Picks the archive's name and claims it by creating its work directory: creating a directory is
     * atomic, so two exports started in the same second cannot share temporary files; the second
     * one waits for the next second and takes the next name.
     */
    private Target prepareTarget(ExportOptions options, WorkFiles work) throws IOException {
        if (S3Location.isS3(options.output())) {
            return prepareBucketTarget(options, work);
        }
        Path output = Path.of(options.output()).toAbsolutePath().normalize();
        String extension = options.extension();
        String fileName = output.getFileName() == null ? "" : output.getFileName().toString();
        boolean isFile = !Files.isDirectory(output) && fileName.endsWith(extension);
        if (!isFile && !Files.isDirectory(output) && ARCHIVE_LIKE.matcher(fileName).matches()) {
            throw codecMismatch(options, fileName);
        }
        if (!isFile && Files.exists(output) && !Files.isDirectory(output)) {
            throw DbToolException.usage(output + " exists and is not a directory; give a directory or a new *" + extension
                    + " file name as --output");
        }
        Path dir = isFile ? output.getParent() : output;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw DbToolException.usage("cannot create output directory " + dir + " (" + e.getMessage()
                    + "); choose another --output");
        }
        if (!Files.isWritable(dir)) {
            throw DbToolException.usage("output directory " + dir + " is not writable; choose another --output");
        }
        return claimName(options, work, new LocalStore(dir), dir, isFile ? fileName : null);
    }

    private Target prepareBucketTarget(ExportOptions options, WorkFiles work) throws IOException {
        S3Location output = S3Location.parse(options.output());
        String extension = options.extension();
        String last = output.lastSegment();
        boolean isFile = !output.key().isEmpty() && last.endsWith(extension);
        if (!isFile && ARCHIVE_LIKE.matcher(last).matches()) {
            throw codecMismatch(options, last);
        }
        Path staging = stagingDirectory(stores.environment());
        ArchiveStore store = stores.directory((isFile ? output.parent() : output).toString());
        return claimName(options, work, store, staging, isFile ? last : null);
    }

    /** Temporary files of an upload: $DBTOOL_WORK_DIR, else the system's temporary directory. */
    public static Path stagingDirectory(java.util.function.Function<String, String> environment) {
        String configured = environment.apply("DBTOOL_WORK_DIR");
        Path staging = Path.of(configured != null && !configured.isBlank() ? configured
                : System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize();
        try {
            Files.createDirectories(staging);
        } catch (IOException e) {
            throw DbToolException.usage("cannot create work directory " + staging + " (" + e.getMessage()
                    + "); set DBTOOL_WORK_DIR to a writable directory");
        }
        return staging;
    }

    private static DbToolException codecMismatch(ExportOptions options, String fileName) {
        String extension = options.extension();
        String writes = options.encryption() == null ? "--compress " + options.compression().cliName()
                : "--compress " + options.compression().cliName() + ", encrypted to the configured recipients";
        return DbToolException.usage("--output " + fileName + " does not match " + writes + ", which writes "
                + extension + " files; name it *" + extension + " or give a directory"
                + (options.encryption() == null ? "" : " (or add --no-encrypt)"));
    }

    /** @param fixedName the archive's name when --output named the file, else null (a timestamped name) */
    private Target claimName(ExportOptions options, WorkFiles work, ArchiveStore store, Path staging, String fixedName)
            throws IOException {
        String extension = options.extension();
        while (true) {
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            String name = fixedName != null ? fixedName : options.archivePrefix() + "-" + STAMP.format(now) + extension;
            boolean exists = store.exists(name);
            if (fixedName != null && exists) {
                throw DbToolException.usage(store.locationOf(name) + " already exists; dbtool never overwrites an archive");
            }
            if (!exists) {
                Path workDir = staging.resolve("." + name + ".work");
                try {
                    Files.createDirectory(workDir, PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rwx------")));
                    work.track(workDir);
                    return new Target(store, staging, name, now, workDir);
                } catch (java.nio.file.FileAlreadyExistsException taken) {
                    if (fixedName != null) {
                        throw DbToolException.usage("another export is writing " + store.locationOf(name)
                                + " right now; wait for it or choose another --output");
                    }
                }
            }
            sleepMillis(1000 - Instant.now().getNano() / 1_000_000 + 5);
        }
    }

    private static String exportSnapshot(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement()) {
            // A server-wide timeout must not cut the snapshot transaction while pg_dump still needs it.
            st.execute("set local statement_timeout = 0");
            st.execute("set local idle_in_transaction_session_timeout = 0");
            try (ResultSet rs = st.executeQuery("select pg_export_snapshot()")) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private static Map<String, Long> countInSnapshot(Connection connection, List<Catalog.Relation> relations) {
        Map<String, Long> counts = new HashMap<>();
        try {
            for (Catalog.Relation r : relations) {
                counts.put(r.qualifiedName(), Catalog.countRows(connection, r.schema(), r.name()));
            }
        } catch (SQLException e) {
            throw new DbToolException(ExitCode.RUNTIME, "counting rows failed: " + e.getMessage(), e);
        }
        return counts;
    }

    /**
     * The rows of every table whose data is in the dump. A table's count comes from its data file when
     * exactly one TABLE DATA entry of the TOC names it (schema, name and owner) and the file was whole
     * COPY data; any other table is counted with count(*) in the snapshot, which is still open.
     */
    private Map<String, Long> tableRows(List<Catalog.Relation> relations, TocListing toc, Map<String, Long> rowsByDumpId,
            Connection snapshotConnection) {
        Map<String, List<TocListing.Entry>> dataByRest = new HashMap<>();
        for (TocListing.Entry e : toc.entries()) {
            if (e.description().equals(TocListing.TABLE_DATA)) {
                dataByRest.computeIfAbsent(e.rest(), k -> new ArrayList<>()).add(e);
            }
        }
        Map<String, Long> relationsByRest = new HashMap<>();
        for (Catalog.Relation r : relations) {
            relationsByRest.merge(TocListing.Entry.restOf(r.schema(), r.name(), r.owner()), 1L, Long::sum);
        }
        Map<String, Long> counts = new HashMap<>();
        List<Catalog.Relation> toScan = new ArrayList<>();
        for (Catalog.Relation r : relations) {
            if (!r.kind().equals(Manifest.Table.TABLE)) {
                continue;
            }
            String rest = TocListing.Entry.restOf(r.schema(), r.name(), r.owner());
            List<TocListing.Entry> data = dataByRest.getOrDefault(rest, List.of());
            Long rows = data.size() == 1 && relationsByRest.get(rest) == 1 ? rowsByDumpId.get(data.get(0).dumpId()) : null;
            if (rows != null) {
                counts.put(r.qualifiedName(), rows);
            } else if (toc.has(r.schema(), r.name(), TocListing.TABLE_DATA)) {
                toScan.add(r);
            }
        }
        if (!toScan.isEmpty()) {
            reporter.detail("counting " + toScan.size() + " table(s) in the snapshot: their rows could not be read"
                    + " from the dump's data files");
            counts.putAll(countInSnapshot(snapshotConnection, toScan));
        }
        return counts;
    }

    private void runPgDump(PgTool pgDump, ExportOptions options, String snapshot, Path dumpDir,
            List<Catalog.Relation> relations, Consumer<String> lines) {
        List<String> args = new ArrayList<>(List.of("--format=directory", "--jobs=" + Math.max(1, options.jobs()),
                "--compress=" + (options.compression() == Compression.GZIP ? 1 : 0),
                "--snapshot=" + snapshot, "--file=" + dumpDir, "--verbose"));
        for (String schema : options.schemas()) {
            args.add("--schema=" + schema);
        }
        for (String pattern : options.excludeTables()) {
            args.add("--exclude-table=" + pattern);
        }
        args.addAll(PgProcess.connectionArguments(options.source()));
        long tables = relations.stream().filter(r -> r.kind().equals(Manifest.Table.TABLE)).count();
        // In parallel mode pg_dump logs both lines per table; "finished item" is the one that means done.
        String doneMarker = options.jobs() > 1 ? "finished item" : "dumping contents of table";
        List<String> errors = new ArrayList<>();
        reporter.progressStart("dumping tables", tables, " tables");
        PgProcess.Result result;
        try {
            result = new PgProcess(pgDump, args, options.source(), line -> {
                if (line.contains(doneMarker) && (options.jobs() <= 1 || line.contains(" TABLE DATA "))) {
                    reporter.progressStep(1);
                } else if (line.contains("error:") || line.contains("FATAL") || line.contains("No space left")) {
                    synchronized (errors) {
                        errors.add(line);
                    }
                }
                lines.accept(line);
                reporter.detail(line);
            }).run();
        } finally {
            reporter.progressEnd();
        }
        if (result.exitCode() != 0) {
            String all = String.join("\n", result.lastLines());
            if (all.contains("No space left on device")) {
                throw new DbToolException(ExitCode.RUNTIME, "disk full while pg_dump wrote to " + dumpDir.getParent()
                        + "; free space there or choose another --output");
            }
            String first = errors.isEmpty() ? (result.lastLines().isEmpty() ? "no output"
                    : result.lastLines().get(result.lastLines().size() - 1)) : errors.get(0);
            if (first.contains("no matching schemas were found") || first.contains("no matching tables were found")) {
                throw DbToolException.usage(first.strip().replaceFirst("^pg_dump: error: ", "")
                        + " in " + options.source().describe() + "; check --schema / --exclude-table");
            }
            throw new DbToolException(ExitCode.RUNTIME, "pg_dump failed (exit " + result.exitCode() + "): " + first.strip());
        }
    }

    /**
     * The manifest lists exactly the relations whose data is in the dump (pg_dump applied --schema
     * and --exclude-table with its own pattern rules), plus partitioned parents of those partitions.
     */
    static List<Manifest.Table> tablesInDump(List<Catalog.Relation> relations, Map<String, Long> counts, TocListing toc) {
        List<Manifest.Table> tables = new ArrayList<>();
        for (Catalog.Relation r : relations) {
            boolean hasData = toc.has(r.schema(), r.name(), TocListing.TABLE_DATA, TocListing.MATERIALIZED_VIEW_DATA);
            boolean defined = toc.has(r.schema(), r.name(), TocListing.TABLE, TocListing.MATERIALIZED_VIEW);
            if (r.kind().equals(Manifest.Table.PARTITIONED) && defined) {
                tables.add(new Manifest.Table(r.schema(), r.name(), r.kind(), null, r.sizeBytes(), null));
            } else if (r.kind().equals(Manifest.Table.MATERIALIZED_VIEW) && (hasData || defined)) {
                tables.add(new Manifest.Table(r.schema(), r.name(), r.kind(), counts.get(r.qualifiedName()),
                        r.sizeBytes(), r.populated()));
            } else if (r.kind().equals(Manifest.Table.TABLE) && hasData) {
                tables.add(new Manifest.Table(r.schema(), r.name(), r.kind(), counts.get(r.qualifiedName()),
                        r.sizeBytes(), null));
            }
        }
        return tables;
    }

    private static DbToolException ioFailure(ExportOptions options, IOException e) {
        String message = String.valueOf(e.getMessage());
        if (message.contains("No space left on device")) {
            return new DbToolException(ExitCode.RUNTIME, "disk full while writing to " + options.output()
                    + "; free space there or choose another --output; no archive was written", e);
        }
        return new DbToolException(ExitCode.RUNTIME, "export failed writing to " + options.output() + ": " + message
                + "; no archive was written", e);
    }

    private static <T> T join(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DbToolException(ExitCode.RUNTIME, "interrupted while counting rows", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof DbToolException d) {
                throw d;
            }
            throw new DbToolException(ExitCode.RUNTIME, "counting rows failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    private static void sleepMillis(long millis) {
        try {
            Thread.sleep(Math.max(1, millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DbToolException(ExitCode.RUNTIME, "interrupted", e);
        }
    }
}
