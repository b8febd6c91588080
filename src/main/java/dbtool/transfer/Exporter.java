package dbtool.transfer;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.Reporter;
import dbtool.archive.ArchiveLayout;
import dbtool.archive.ArchiveName;
import dbtool.archive.ArchiveWriter;
import dbtool.archive.Checksums;
import dbtool.archive.Compression;
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
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
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

    public Exporter(PgToolLocator tools, Reporter reporter, String toolVersion) {
        this.tools = tools;
        this.reporter = reporter;
        this.toolVersion = toolVersion;
    }

    public ExportResult export(ExportOptions options) {
        long started = System.nanoTime();
        ConnectionSettings source = options.source();
        try (Connection snapshotConnection = Connections.open(source); WorkFiles work = new WorkFiles()) {
            PgVersion server = Catalog.serverVersion(snapshotConnection);
            PgTool pgDump = tools.forServer("pg_dump", server);
            PgTool pgRestore = tools.forServer("pg_restore", pgDump.version());
            reporter.detail("using " + pgDump.executable() + " " + pgDump.version() + " for server " + server);

            Target target = prepareTarget(options, work);
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
            // Pack while pg_dump writes: each table file joins the archive body as soon as pg_dump closed it.
            ArchiveWriter writer = new ArchiveWriter(options.compression(), Math.max(1, options.jobs()), options.encryption());
            Path bodyFile = work.track(target.dir().resolve("." + target.name() + ".body"));
            Path partial = work.track(target.dir().resolve("." + target.name() + ".partial"));
            ArchiveWriter.Written written;
            Manifest manifest;
            // Count while pg_dump reads: same snapshot, so the same rows, and the scans overlap.
            try (SnapshotRowCounter counting = new SnapshotRowCounter(snapshotConnection, scanned);
                    ArchiveWriter.Body body = writer.openBody(bodyFile, target.createdAt());
                    DumpPacker packer = new DumpPacker(body, dumpDir, packedBytes(reporter))) {
                runPgDump(pgDump, options, snapshot, dumpDir, relations, packer::onPgDumpEvent);
                packer.awaitReported();
                Map<String, Long> counts = new HashMap<>(counting.await());
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
                warnAboutLeftOutReferences(foreignKeys, toc);
                Manifest.Globals globals = null;
                if (globalsFile != null) {
                    body.add(globalsFile, ArchiveLayout.GLOBALS, n -> { });
                    globals = new Manifest.Globals(ArchiveLayout.GLOBALS, options.rolePasswords());
                }
                body.finish();
                manifest = new Manifest(Manifest.FORMAT,
                        globals != null ? Manifest.FORMAT_VERSION : Manifest.FIRST_FORMAT_VERSION, toolVersion,
                        target.createdAt().toString(), options.project(),
                        new Manifest.Source(source.host(), source.port(), source.database(), source.effectiveUser()),
                        server.toString(), pgDump.version().toString(), "directory",
                        options.compression().cliName(),
                        options.compression() == Compression.GZIP ? "gzip:1" : "none",
                        "snapshot", tables, extensionsInDump(extensions, toc), body.files(),
                        database.isEmpty() ? null : database,
                        options.partial() ? new Manifest.Partial(options.schemas(), options.excludeTables()) : null,
                        globals);
                written = writer.assemble(body, manifest, partial);
            }
            Files.delete(bodyFile);
            work.release(bodyFile);
            Path archive = target.dir().resolve(target.name());
            publish(partial, archive, work);
            Path sidecar = writeSidecar(archive, written.sha256(), work);
            long millis = (System.nanoTime() - started) / 1_000_000;
            return new ExportResult(archive, sidecar, written.sha256(), written.size(), manifest, millis);
        } catch (SQLException e) {
            throw Connections.explain(source, e);
        } catch (IOException e) {
            throw ioFailure(options, e);
        }
    }

    /** Bytes written so far, shown beside the "tables done" bar while pg_dump runs. */
    private static java.util.function.LongConsumer packedBytes(Reporter reporter) {
        java.util.concurrent.atomic.AtomicLong total = new java.util.concurrent.atomic.AtomicLong();
        return n -> reporter.progressBytes(total.addAndGet(n));
    }

    private record Target(Path dir, String name, Instant createdAt, Path workDir) {}

    private static final java.util.regex.Pattern ARCHIVE_LIKE =
            java.util.regex.Pattern.compile(".*\\.(tar\\.gz|tgz|tar\\.zst|tzst|tar|gz|zst|zip|age)$");

    /**
     * Picks the archive's name and claims it by creating its work directory: creating a directory is
     * atomic, so two exports started in the same second cannot share temporary files; the second
     * one waits for the next second and takes the next name.
     */
    private Target prepareTarget(ExportOptions options, WorkFiles work) throws IOException {
        Path output = options.output().toAbsolutePath().normalize();
        String extension = options.extension();
        String fileName = output.getFileName() == null ? "" : output.getFileName().toString();
        boolean isFile = !Files.isDirectory(output) && fileName.endsWith(extension);
        if (!isFile && !Files.isDirectory(output) && ARCHIVE_LIKE.matcher(fileName).matches()) {
            String writes = options.encryption() == null ? "--compress " + options.compression().cliName()
                    : "--compress " + options.compression().cliName() + ", encrypted to the configured recipients";
            throw DbToolException.usage("--output " + fileName + " does not match " + writes + ", which writes "
                    + extension + " files; name it *" + extension + " or give a directory"
                    + (options.encryption() == null ? "" : " (or add --no-encrypt)"));
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
        while (true) {
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            String name = isFile ? fileName
                    : new ArchiveName(options.archivePrefix(), now, options.kind(), extension).fileName();
            Path archive = dir.resolve(name);
            if (isFile && Files.exists(archive)) {
                throw DbToolException.usage(output + " already exists; dbtool never overwrites an archive");
            }
            if (!Files.exists(archive)) {
                Path workDir = dir.resolve("." + name + ".work");
                try {
                    Files.createDirectory(workDir, PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rwx------")));
                    work.track(workDir);
                    return new Target(dir, name, now, workDir);
                } catch (java.nio.file.FileAlreadyExistsException taken) {
                    if (isFile) {
                        throw DbToolException.usage("another export is writing " + output + " right now; wait for it"
                                + " or choose another --output");
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
    private Map<String, Long> tableRows(List<Catalog.Relation> relations, TocListing toc, Map<String, Long> rowsByDumpId,
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
            List<Catalog.Relation> relations, Consumer<PgEvent> events) {
        List<String> args = new ArrayList<>(List.of("--format=directory", "--jobs=" + Math.max(1, options.jobs()),
                "--compress=" + (options.compression() == Compression.GZIP ? 1 : 0),
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
        long tables = relations.stream().filter(r -> r.kind().equals(Manifest.Table.TABLE)).count();
        boolean parallel = options.jobs() > 1;
        reporter.progressStart("dumping tables", tables, " tables");
        PgProcess.Result result;
        try {
            result = new PgProcess(pgDump, args, options.source(), event -> {
                // In parallel mode pg_dump logs both per table; "finished item" is the one that means done.
                boolean tableDone = parallel ? event instanceof PgEvent.ItemFinished f && f.isTableData()
                        : event instanceof PgEvent.TableDumpStarted;
                if (tableDone) {
                    reporter.progressStep(1);
                }
                events.accept(event);
                reporter.detail(event.line());
            }).run();
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

    /** Rename into place only after fsync, so a crash never leaves a half archive under the real name. */
    private static void publish(Path partial, Path archive, WorkFiles work) throws IOException {
        if (Files.exists(archive)) {
            throw DbToolException.usage(archive + " already exists; dbtool never overwrites an archive");
        }
        Files.move(partial, archive, StandardCopyOption.ATOMIC_MOVE);
        work.release(partial);
        fsyncDirectory(archive.getParent());
    }

    /** The sidecar is written last: an archive without one is recognisably unfinished. */
    private static Path writeSidecar(Path archive, String sha256, WorkFiles work) throws IOException {
        Path sidecar = archive.resolveSibling(archive.getFileName() + ".sha256");
        Path temp = work.track(archive.resolveSibling("." + sidecar.getFileName() + ".partial"));
        try (FileChannel ch = FileChannel.open(temp, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            ch.write(java.nio.ByteBuffer.wrap(Checksums.sidecarLine(sha256, archive.getFileName().toString())
                    .getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        }
        Files.move(temp, sidecar, StandardCopyOption.ATOMIC_MOVE);
        work.release(temp);
        fsyncDirectory(archive.getParent());
        return sidecar;
    }

    static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // not every filesystem lets a directory be opened for fsync; the rename is still atomic
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
