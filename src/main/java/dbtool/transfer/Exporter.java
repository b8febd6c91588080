package dbtool.transfer;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.Reporter;
import dbtool.archive.ArchiveLayout;
import dbtool.archive.ArchiveName;
import dbtool.archive.ArchiveWriter;
import dbtool.archive.Checksums;
import dbtool.archive.Manifest;
import dbtool.config.ConnectionSettings;
import dbtool.pg.Catalog;
import dbtool.pg.Connections;
import dbtool.pg.PgEvent;
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
import java.util.function.Consumer;

/**
 * Exports one database into a verified archive. The row counts in the manifest are taken inside the
 * very snapshot pg_dump reads (pg_export_snapshot + --snapshot), while pg_dump runs, so on a live
 * database they describe exactly the rows of the dump.
 */
public final class Exporter {

    public static final DateTimeFormatter STAMP = ArchiveName.STAMP;

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

            Path globalsFile = null;
            if (options.globals()) {
                globalsFile = workDir.resolve(ArchiveLayout.GLOBALS);
                Globals.dump(tools.forServer("pg_dumpall", server), source, options.rolePasswords(), globalsFile, reporter);
            }
            String snapshot = openSnapshot(snapshotConnection);
            List<Catalog.Relation> relations = Catalog.relations(snapshotConnection);
            List<Manifest.Extension> extensions = Catalog.extensions(snapshotConnection);
            Manifest.Database database = DatabaseProperties.read(snapshotConnection);
            List<ForeignKeyOut> foreignKeys = options.partial() ? foreignKeys(snapshotConnection) : List.of();

            // pg_dump writes uncompressed files (-Z0) whatever the codec, so every table is counted from the data
            // pg_dump writes, while it is packed (see CopyDataRows): no second scan of any table. Populated
            // materialized views have no data file: they are counted in the snapshot while pg_dump reads.
            List<Catalog.Relation> scanned = relations.stream()
                    .filter(r -> r.kind().equals(Manifest.Table.MATERIALIZED_VIEW) && r.populated())
                    .toList();
            // Pack while pg_dump writes: each table file goes into the archive (and up to the bucket) as soon as
            // pg_dump closed it. Nothing of the archive is staged locally.
            ArchiveWriter writer = new ArchiveWriter(options.compression(), Math.max(1, options.jobs()), options.encryption());
            ArchiveWriter.Written written;
            Manifest manifest;
            // --schema / --exclude-table: the bar counts only the tables in the dump's toc, listed once pg_dump wrote it.
            DumpProgress progress = new DumpProgress(dumpDir, relations, options.jobs() > 1,
                    options.partial() ? () -> TocListing.read(pgRestore, dumpDir, source) : null);
            Path partial = target.store().localDirectory()
                    .map(d -> work.track(d.resolve(LocalStore.partialName(target.name())))).orElse(null);
            // Count while pg_dump reads: same snapshot, so the same rows, and the scans overlap.
            try (SnapshotRowCounter counting = new SnapshotRowCounter(snapshotConnection, scanned);
                    Upload upload = target.store().create(target.name());
                    ArchiveWriter.Body body = writer.open(upload.stream(), target.createdAt());
                    DumpPacker packer = new DumpPacker(body, dumpDir, workDir, options.jobs() > 1, progress::packed)) {
                runPgDump(pgDump, options, snapshot, dumpDir, progress, packer::onPgDumpEvent);
                packer.awaitReported();
                Map<String, Long> counts = new HashMap<>(counting.await());
                TocListing toc = progress.toc().orElseGet(() -> TocListing.read(pgRestore, dumpDir, source));

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
                counts.putAll(tableRows(relations, toc, packer.rowsByDumpId(), snapshotConnection));
                List<Manifest.Table> tables = tablesInDump(relations, counts, toc);
                snapshotConnection.commit();
                warnAboutLeftOutReferences(foreignKeys, toc);
                Manifest.Globals globals = null;
                if (globalsFile != null) {
                    body.add(globalsFile, ArchiveLayout.GLOBALS, n -> { });
                    globals = new Manifest.Globals(ArchiveLayout.GLOBALS, options.rolePasswords());
                }
                body.addToLastMember(dumpDir.resolve(DumpPacker.TOC), ArchiveLayout.DUMP_PREFIX + DumpPacker.TOC);
                manifest = new Manifest(Manifest.FORMAT, Manifest.FORMAT_VERSION, toolVersion,
                        target.createdAt().toString(), options.project(),
                        new Manifest.Source(source.host(), source.port(), source.database(), source.effectiveUser()),
                        server.toString(), pgDump.version().toString(), "directory",
                        options.compression().cliName(), "none", // pg_dump -Z0: the archive's codec compresses
                        "snapshot", tables, extensionsInDump(extensions, toc), body.files(),
                        database.isEmpty() ? null : database,
                        options.partial() ? new Manifest.Partial(options.schemas(), options.excludeTables()) : null,
                        globals);
                written = body.finish(manifest);
                upload.commit();
                if (partial != null) {
                    work.release(partial);
                }
            }
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

    /**
     * Where the archive goes and where its temporary files are made: beside it on local disk, or for a bucket in
     * $DBTOOL_WORK_DIR (default: the system's temporary directory). The store is handed on to the result.
     */
    private record Target(ArchiveStore store, Path staging, String name, Instant createdAt, Path workDir) {}

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
            String name = fixedName != null ? fixedName
                    : new ArchiveName(options.archivePrefix(), now, options.kind(), extension).fileName();
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

    /**
     * Starts the read-only REPEATABLE READ transaction on {@code connection} whose snapshot pg_dump
     * reads (--snapshot) and the row counts are taken in; returns the snapshot's name.
     */
    static String openSnapshot(Connection connection) throws SQLException {
        connection.setAutoCommit(false);
        connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        connection.setReadOnly(true);
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
     * exactly one TABLE DATA entry of the TOC carries its oid and the file was whole COPY data; any other
     * table is counted with count(*) in the snapshot, which is still open.
     */
    Map<String, Long> tableRows(List<Catalog.Relation> relations, TocListing toc, Map<String, Long> rowsByDumpId,
            Connection snapshotConnection) {
        // By oid, not by name: names may hold anything, and two tables can print alike in the TOC.
        Map<Long, List<TocListing.Entry>> dataByOid = new HashMap<>();
        for (TocListing.Entry e : toc.entries()) {
            if (e.description().equals(TocListing.TABLE_DATA)) {
                dataByOid.computeIfAbsent(e.oid(), k -> new ArrayList<>()).add(e);
            }
        }
        Map<String, Long> counts = new HashMap<>();
        List<Catalog.Relation> toScan = new ArrayList<>();
        for (Catalog.Relation r : relations) {
            if (!r.kind().equals(Manifest.Table.TABLE)) {
                continue;
            }
            List<TocListing.Entry> data = dataByOid.getOrDefault(r.oid(), List.of());
            Long rows = data.size() == 1 ? rowsByDumpId.get(data.get(0).dumpId()) : null;
            if (rows != null) {
                counts.put(r.qualifiedName(), rows);
            } else if (!data.isEmpty()) {
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

    void runPgDump(PgTool pgDump, ExportOptions options, String snapshot, Path dumpDir,
            DumpProgress progress, Consumer<PgEvent> events) {
        // Uncompressed whatever the codec: the rows are counted from the raw COPY lines while packing, and the
        // archive's body is compressed then, on --jobs threads.
        List<String> args = new ArrayList<>(List.of("--format=directory", "--jobs=" + Math.max(1, options.jobs()),
                "--compress=0",
                "--snapshot=" + snapshot, "--file=" + dumpDir, "--verbose",
                // Table files are packed and deleted while pg_dump runs, so its own final fsync of the directory
                // would log false "could not open file" errors; dbtool fsyncs the finished archive itself.
                "--no-sync"));
        for (String schema : options.schemas()) {
            args.add("--schema=" + schema);
        }
        for (String pattern : options.excludeTables()) {
            args.add("--exclude-table=" + pattern);
        }
        args.addAll(PgProcess.connectionArguments(options.source()));
        reporter.progressStart("exporting", "B", progress);
        PgProcess.Result result;
        try {
            result = new PgProcess(pgDump, args, options.source(), event -> {
                progress.onEvent(event); // first: the packer may delete the file of a finished table
                events.accept(event);
                reporter.detail(event.line());
            }).run();
            if (result.ok()) {
                progress.finish();
            }
        } finally {
            reporter.progressEnd();
        }
        if (!result.ok()) {
            if (result.diskFull()) {
                throw result.failure("disk full while pg_dump wrote to " + dumpDir.getParent()
                        + "; free space there or choose another --output");
            }
            String first = result.firstError();
            if (first.contains("no matching schemas were found") || first.contains("no matching tables were found")) {
                throw DbToolException.usage(first + " in " + options.source().describe()
                        + "; check --schema / --exclude-table");
            }
            throw result.failure("pg_dump failed (exit " + result.exitCode() + "): " + first);
        }
    }

    /**
     * The manifest lists exactly the relations whose data is in the dump (pg_dump applied --schema
     * and --exclude-table with its own pattern rules), plus partitioned parents of those partitions.
     */
    static List<Manifest.Table> tablesInDump(List<Catalog.Relation> relations, Map<String, Long> counts, TocListing toc) {
        List<Manifest.Table> tables = new ArrayList<>();
        for (Catalog.Relation r : relations) {
            // By oid, not by name: names may hold anything, newlines included.
            boolean hasData = toc.has(r.oid(), TocListing.TABLE_DATA, TocListing.MATERIALIZED_VIEW_DATA);
            boolean defined = toc.has(r.oid(), TocListing.TABLE, TocListing.MATERIALIZED_VIEW);
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

    /**
     * The extensions a restore of this dump needs: those pg_dump wrote (a --schema export holds none,
     * even when the database has some), with the versions the source has.
     */
    static List<Manifest.Extension> extensionsInDump(List<Manifest.Extension> all, TocListing toc) {
        return all.stream().filter(e -> toc.extensions().contains(e.name())).toList();
    }

    /** A foreign key, by the tables at both ends. */
    record ForeignKeyOut(String name, String schema, String table, String referencedSchema, String referencedTable) {}

    private static List<ForeignKeyOut> foreignKeys(Connection connection) throws SQLException {
        List<ForeignKeyOut> result = new ArrayList<>();
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("""
                select con.conname, cn.nspname, c.relname, fn.nspname, f.relname
                from pg_constraint con
                join pg_class c on c.oid = con.conrelid join pg_namespace cn on cn.oid = c.relnamespace
                join pg_class f on f.oid = con.confrelid join pg_namespace fn on fn.oid = f.relnamespace
                where con.contype = 'f' and con.conparentid = 0
                order by 2, 3, 1
                """)) {
            while (rs.next()) {
                result.add(new ForeignKeyOut(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)));
            }
        }
        return result;
    }

    /**
     * pg_dump keeps a foreign key of an exported table even when --schema / --exclude-table left the
     * table it references out; restoring that archive then fails on the constraint. Say so now.
     */
    private void warnAboutLeftOutReferences(List<ForeignKeyOut> foreignKeys, TocListing toc) {
        for (ForeignKeyOut fk : foreignKeys) {
            if (toc.has(fk.schema(), fk.table(), TocListing.TABLE)
                    && !toc.has(fk.referencedSchema(), fk.referencedTable(), TocListing.TABLE)) {
                reporter.warn("foreign key " + fk.name() + " of " + fk.schema() + "." + fk.table() + " references "
                        + fk.referencedSchema() + "." + fk.referencedTable() + ", which this export leaves out;"
                        + " importing the archive fails on that constraint unless the target already has that table;"
                        + " export it too, or leave out " + fk.schema() + "." + fk.table() + " as well");
            }
        }
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

    private static void sleepMillis(long millis) {
        try {
            Thread.sleep(Math.max(1, millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DbToolException(ExitCode.RUNTIME, "interrupted", e);
        }
    }
}
