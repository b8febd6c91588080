package dbtool.transfer;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.Reporter;
import dbtool.archive.ArchiveLayout;
import dbtool.archive.Compression;
import dbtool.archive.Manifest;
import dbtool.config.ConnectionSettings;
import dbtool.pg.Catalog;
import dbtool.pg.Connections;
import dbtool.pg.PgTool;
import dbtool.pg.PgToolLocator;
import dbtool.pg.PgVersion;
import dbtool.pg.TocListing;
import dbtool.verify.ComparisonReport;
import dbtool.verify.DatabaseComparison;
import dbtool.verify.DatabaseSide;
import dbtool.verify.SideSnapshot;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Copies one database into another without an archive: export's snapshot, pg_dump and row counts,
 * then import's target checks, restore, row count proof and database properties. The dump goes
 * uncompressed to a temporary directory (nothing is packed, hashed or unpacked), which is removed
 * however the copy ends.
 */
public final class Copier {

    private final PgToolLocator tools;
    private final Reporter reporter;
    private final String toolVersion;

    public Copier(PgToolLocator tools, Reporter reporter, String toolVersion) {
        this.tools = tools;
        this.reporter = reporter;
        this.toolVersion = toolVersion;
    }

    public CopyResult copy(CopyOptions options) {
        long started = System.nanoTime();
        ConnectionSettings source = options.source();
        ConnectionSettings target = options.target();
        Exporter exporter = new Exporter(tools, reporter, toolVersion);
        Importer importer = new Importer(tools, reporter);
        // The target's read-only checks run while the source is looked at; both pass before pg_dump starts.
        CompletableFuture<Importer.Preflight> preflight = Background.supply("preflight",
                () -> importer.preflight(target, options.clean()));
        try (Connection snapshotConnection = Connections.open(source); WorkFiles work = new WorkFiles()) {
            PgVersion server = Catalog.serverVersion(snapshotConnection);
            PgTool pgDump = tools.forServer("pg_dump", server);
            PgTool pgRestore = tools.forServer("pg_restore", pgDump.version());
            refuseSameDatabase(snapshotConnection, options);
            List<Manifest.Extension> sourceExtensions = Catalog.extensions(snapshotConnection);
            // Before anything is dumped: a target that is not empty or lacks an extension fails now, not after an hour.
            boolean exists;
            try {
                Importer.Preflight checked = join(preflight);
                checked.requireExtensions(sourceExtensions);
                exists = checked.exists();
            } catch (DbToolException e) {
                if (e.exitCode() == ExitCode.USAGE && e.getMessage().contains("is not empty")) {
                    throw DbToolException.usage("target database " + target.describe() + " is not empty; copy into an"
                            + " empty or new database (a missing one is created), or replace it with --clean --yes");
                }
                throw e;
            }

            Path workDir = work.track(Importer.createWorkDir(options.workDir(), "copy-"));
            Path dumpDir = workDir.resolve(ArchiveLayout.DUMP_DIR);
            Path globalsFile = null;
            if (options.globals()) {
                globalsFile = workDir.resolve(ArchiveLayout.GLOBALS);
                Globals.dump(tools.forServer("pg_dumpall", server), source, false, globalsFile, reporter);
            }

            String snapshot = Exporter.openSnapshot(snapshotConnection);
            List<Catalog.Relation> relations = Catalog.relations(snapshotConnection);
            Manifest.Database database = DatabaseProperties.read(snapshotConnection);
            ExportOptions dump = new ExportOptions(options.fromProject(), source, workDir.toString(), options.jobs(), Compression.NONE,
                    List.of(), List.of());
            Map<String, Long> counts = new HashMap<>();
            SideSnapshot sourceSide = null;
            TocListing toc;
            if (options.checksum()) {
                // The checksums scan every table in pg_dump's snapshot anyway; the counts come with them.
                CompletableFuture<SideSnapshot> reading = Background.supply("checksums", () -> {
                    try {
                        return DatabaseSide.readInTransaction(snapshotConnection, source.describe(), true,
                                Reporter.SILENT);
                    } catch (SQLException e) {
                        throw Connections.explain(source, e);
                    }
                });
                runPgDump(exporter, pgDump, dump, snapshot, dumpDir, relations, event -> { });
                sourceSide = join(reading);
                for (SideSnapshot.TableSnapshot t : sourceSide.tables()) {
                    if (t.rows() != null) {
                        counts.put(t.schema() + "." + t.name(), t.rows());
                    }
                }
                toc = TocListing.read(pgRestore, dumpDir, source);
            } else {
                // Every table is counted from the COPY lines pg_dump writes (no second scan beside pg_dump, as export
                // does). Materialized views are not: the row proof covers tables, and the restore refreshes them.
                try (DumpFileRows fileRows = new DumpFileRows(dumpDir)) {
                    runPgDump(exporter, pgDump, dump, snapshot, dumpDir, relations, fileRows::onPgDumpEvent);
                    CompletableFuture<TocListing> listing = Background.supply("toc-list",
                            () -> TocListing.read(pgRestore, dumpDir, source));
                    Map<String, Long> rowsByDumpId = fileRows.finish();
                    toc = join(listing);
                    counts.putAll(exporter.tableRows(relations, toc, rowsByDumpId, snapshotConnection));
                }
            }
            snapshotConnection.commit();
            Manifest manifest = new Manifest(Manifest.FORMAT, Manifest.FORMAT_VERSION, toolVersion,
                    Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), options.fromProject(),
                    new Manifest.Source(source.host(), source.port(), source.database(), source.effectiveUser()),
                    server.toString(), pgDump.version().toString(), "directory", "none", "none", "snapshot",
                    Exporter.tablesInDump(relations, counts, toc), Exporter.extensionsInDump(sourceExtensions, toc), List.of(),
                    database.isEmpty() ? null : database, null, null);

            ImportOptions restore = new ImportOptions(null, options.toProject(), target, options.jobs(), options.clean(),
                    options.keepOwners(), workDir, dbtool.crypto.Decryptor.NONE, options.globals());
            ImportResult imported = importer.restore(pgRestore, dumpDir, toc, globalsFile, restore, manifest, exists, started);

            ComparisonReport checksums = null;
            if (sourceSide != null) {
                SideSnapshot targetSide = new DatabaseSide(target).read(true, reporter);
                checksums = DatabaseComparison.diff(sourceSide, targetSide, true);
            }
            long millis = (System.nanoTime() - started) / 1_000_000;
            return new CopyResult(source, imported, checksums, millis);
        } catch (SQLException e) {
            throw Connections.explain(source, e);
        } catch (IOException e) {
            String message = String.valueOf(e.getMessage());
            if (message.contains("No space left on device")) {
                throw new DbToolException(ExitCode.RUNTIME, "disk full in " + options.workDir()
                        + "; free space there or set DBTOOL_WORK_DIR to a larger disk", e);
            }
            throw new DbToolException(ExitCode.RUNTIME, "copy failed: " + message, e);
        }
    }

    /** pg_dump -Z0 into {@code dumpDir}; a full disk says where and that the target was not touched. */
    private static void runPgDump(Exporter exporter, PgTool pgDump, ExportOptions dump, String snapshot, Path dumpDir,
            List<Catalog.Relation> relations, java.util.function.Consumer<dbtool.pg.PgEvent> events) {
        try {
            exporter.runPgDump(pgDump, dump, snapshot, dumpDir, new DumpProgress(dumpDir, relations, dump.jobs() > 1), events);
        } catch (DbToolException e) {
            throw e.getMessage().startsWith("disk full")
                    ? new DbToolException(ExitCode.RUNTIME, "disk full while pg_dump wrote to " + dumpDir.getParent().getParent()
                            + "; free space there or set DBTOOL_WORK_DIR to a larger disk; the target was not touched", e)
                    : e;
        }
    }

    /**
     * The same database, however it is spelled (localhost or 127.0.0.1, another user, a project or a
     * URL), would be restored onto itself: refused before anything is read or written.
     */
    private void refuseSameDatabase(Connection sourceConnection, CopyOptions options) throws SQLException {
        String sourceServer = Catalog.serverIdentity(sourceConnection);
        String sourceDatabase = Catalog.currentDatabase(sourceConnection);
        if (!sourceDatabase.equals(options.target().database())) {
            return;
        }
        String targetServer;
        try (Connection admin = Importer.openMaintenance(options.target())) {
            targetServer = Catalog.serverIdentity(admin);
        } catch (SQLException e) {
            throw Connections.explain(options.target(), e);
        }
        if (sourceServer.equals(targetServer)) {
            throw DbToolException.usage("the target " + options.target().describe() + " is the source database "
                    + options.source().describe() + " (same server, same database); copy into another database");
        }
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
}
