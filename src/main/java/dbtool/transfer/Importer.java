package dbtool.transfer;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.Reporter;
import dbtool.archive.ArchiveLayout;
import dbtool.archive.ArchiveReader;
import dbtool.archive.Manifest;
import dbtool.config.ConnectionSettings;
import dbtool.pg.Catalog;
import dbtool.pg.Connections;
import dbtool.pg.PgProcess;
import dbtool.pg.PgTool;
import dbtool.pg.PgToolLocator;
import dbtool.pg.PgVersion;
import dbtool.pg.TocListing;
import dbtool.verify.RowCountCheck;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import dbtool.verify.EarlyRowCounter;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Restores an archive and proves no row went missing. Order matters: the archive is checked and
 * unpacked completely before any database is touched, and the target is checked (reachable, empty,
 * extensions available) before pg_restore writes to it.
 */
public final class Importer {

    private final PgToolLocator tools;
    private final Reporter reporter;

    public Importer(PgToolLocator tools, Reporter reporter) {
        this.tools = tools;
        this.reporter = reporter;
    }

    public ImportResult importArchive(ImportOptions options) {
        long started = System.nanoTime();
        ConnectionSettings target = options.target();
        String archiveName = options.archive().name();
        try (WorkFiles work = new WorkFiles()) {
            Manifest head = ArchiveReader.readManifest(options.archive(), options.decryptor());
            PgTool pgRestore = tools.forServer("pg_restore", majorOf(head.pgDumpVersion()));
            Path workDir = work.track(createWorkDir(options.workDir(), archiveName));
            requireSpace(workDir, head);
            // The target's read-only checks run while the archive is verified: both must pass before
            // anything is written to the server, and an unreachable server should not wait for 100 GB.
            CompletableFuture<Boolean> preflight = CompletableFuture.supplyAsync(() -> preflight(target, head, options.clean()));
            reporter.progressStart("checking and unpacking", options.archive().size(), "B");
            ArchiveReader.Result read;
            try {
                read = ArchiveReader.read(options.archive(), workDir, reporter::progressStep, options.decryptor());
            } catch (DbToolException e) {
                preflight.cancel(true);
                throw e;
            } finally {
                reporter.progressEnd();
            }
            Manifest manifest = read.manifest();
            reporter.detail(archiveName + ": " + read.filesChecked() + " checksums verified"
                    + (read.sidecarChecked() ? ", sidecar verified" : ", no sidecar found"));
            if (!read.sidecarChecked()) {
                reporter.warn(archiveName + " has no .sha256 sidecar; relying on the checksums inside the archive");
            }
            boolean exists = join(preflight);
            boolean created = false;
            if (!exists) {
                createDatabase(target);
                created = true;
            }
            // Our own half-restored database holds no one's data: if the restore fails or is interrupted
            // (Ctrl-C, SIGTERM), remove it so that a retry starts clean instead of finding it "not empty".
            java.util.concurrent.atomic.AtomicBoolean dropped = new java.util.concurrent.atomic.AtomicBoolean();
            Thread dropOnInterrupt = new Thread(() -> {
                if (dropped.compareAndSet(false, true)) {
                    dropDatabase(target);
                }
            }, "dbtool-drop-partial-import");
            if (created) {
                Runtime.getRuntime().addShutdownHook(dropOnInterrupt);
            }
            List<String> warnings;
            Map<String, Long> countedEarly = new java.util.HashMap<>();
            try {
                warnings = restore(pgRestore, workDir.resolve(ArchiveLayout.DUMP_DIR), options, manifest, countedEarly);
            } catch (DbToolException e) {
                if (created) {
                    removeHook(dropOnInterrupt);
                    if (dropped.compareAndSet(false, true)) {
                        dropDatabase(target);
                    }
                    throw new DbToolException(e.exitCode(), e.getMessage().replace("the target may be partly restored",
                            "the database it had created was dropped again"), e);
                }
                throw e;
            }
            if (created) {
                removeHook(dropOnInterrupt);
            }
            RowCountCheck.Outcome check = RowCountCheck.run(target, manifest, Math.max(1, options.jobs()), countedEarly);
            long millis = (System.nanoTime() - started) / 1_000_000;
            return new ImportResult(target, created, manifest, warnings, check, millis);
        } catch (SQLException e) {
            throw Connections.explain(target, e);
        } catch (IOException e) {
            String message = String.valueOf(e.getMessage());
            if (message.contains("No space left on device")) {
                throw new DbToolException(ExitCode.RUNTIME, "disk full while unpacking into " + options.workDir()
                        + "; free space or set DBTOOL_WORK_DIR to a larger disk; the target was not touched", e);
            }
            throw new DbToolException(ExitCode.RUNTIME, "import failed: " + message, e);
        }
    }

    private static Path createWorkDir(Path parent, String archiveName) throws IOException {
        Files.createDirectories(parent);
        return Files.createTempDirectory(parent, WorkFiles.PREFIX + "import-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    private static void requireSpace(Path workDir, Manifest manifest) throws IOException {
        long needed = manifest.files().stream().mapToLong(Manifest.FileEntry::size).sum();
        long free = Files.getFileStore(workDir).getUsableSpace();
        if (free < needed) {
            throw new DbToolException(ExitCode.RUNTIME, "unpacking needs " + needed / (1 << 20) + " MiB but "
                    + workDir.getParent() + " has " + free / (1 << 20) + " MiB free; free space or set DBTOOL_WORK_DIR");
        }
    }

    private static PgVersion majorOf(String version) {
        String major = version.contains(".") ? version.substring(0, version.indexOf('.')) : version;
        return new PgVersion(Integer.parseInt(major), 0);
    }

    /**
     * Read-only checks of the target: the server answers, the extensions the archive needs are
     * available, and an existing database is empty unless --clean --yes. Returns whether it exists.
     */
    private boolean preflight(ConnectionSettings target, Manifest manifest, boolean clean) {
        try (Connection admin = openMaintenance(target)) {
            Set<String> available = new HashSet<>();
            try (Statement st = admin.createStatement();
                    ResultSet rs = st.executeQuery("select name from pg_available_extensions")) {
                while (rs.next()) {
                    available.add(rs.getString(1));
                }
            }
            List<String> missing = manifest.extensions().stream().map(Manifest.Extension::name)
                    .filter(name -> !available.contains(name)).toList();
            if (!missing.isEmpty()) {
                throw new DbToolException(ExitCode.RUNTIME, "the target server lacks extension(s) " + missing
                        + " that the archive uses; install them there (e.g. the postgresql-contrib package) and retry");
            }
            if (!databaseExists(admin, target.database())) {
                return false;
            }
        } catch (SQLException e) {
            throw Connections.explain(target, e);
        }
        try (Connection connection = Connections.open(target)) {
            if (!clean && !Catalog.isEmpty(connection)) {
                throw DbToolException.usage("target database " + target.describe() + " is not empty; import into an"
                        + " empty database, or add --clean --yes to drop the archive's objects there first");
            }
            return true;
        } catch (SQLException e) {
            throw Connections.explain(target, e);
        }
    }

    private void createDatabase(ConnectionSettings target) throws SQLException {
        try (Connection admin = openMaintenance(target); Statement st = admin.createStatement()) {
            st.execute("create database " + Connections.quoteIdentifier(target.database()) + " template template0");
        }
        reporter.info("created database " + target.database() + " on " + target.host() + ":" + target.port());
    }

    private static <T> T join(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DbToolException(ExitCode.RUNTIME, "interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof DbToolException d) {
                throw d;
            }
            throw new DbToolException(ExitCode.RUNTIME, "checking the target failed: " + e.getCause(), e.getCause());
        }
    }

    private static Connection openMaintenance(ConnectionSettings target) {
        try {
            return Connections.open(target.withDatabase("postgres"));
        } catch (DbToolException e) {
            if (e.getCause() instanceof SQLException sql && "3D000".equals(sql.getSQLState())) {
                return Connections.open(target.withDatabase("template1"));
            }
            throw e;
        }
    }

    private static boolean databaseExists(Connection admin, String name) throws SQLException {
        try (PreparedStatement ps = admin.prepareStatement("select 1 from pg_database where datname = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static final Pattern FINISHED_DATA = Pattern.compile("finished item (\\d+) TABLE DATA ");

    /** Dump ids of the manifest's checked tables, from the dump's TOC. */
    private static Map<String, Manifest.Table> dataItems(PgTool pgRestore, Path dumpDir, Manifest manifest,
            ConnectionSettings target) {
        TocListing toc;
        try {
            toc = TocListing.read(pgRestore, dumpDir, target);
        } catch (DbToolException e) {
            return Map.of(); // only an optimisation: everything is counted after the restore instead
        }
        Map<String, Manifest.Table> items = new java.util.HashMap<>();
        for (TocListing.Entry entry : toc.entries()) {
            if (!entry.description().equals(TocListing.TABLE_DATA)) {
                continue;
            }
            // Names may contain spaces; the longest schema + name that starts the entry is the table.
            manifest.tables().stream().filter(Manifest.Table::validated)
                    .filter(t -> entry.names(t.schema(), t.name()))
                    .max(java.util.Comparator.comparingInt(t -> t.schema().length() + t.name().length()))
                    .ifPresent(t -> items.put(entry.dumpId(), t));
        }
        return items;
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running already
        }
    }

    private void dropDatabase(ConnectionSettings target) {
        try (Connection admin = openMaintenance(target); Statement st = admin.createStatement()) {
            // pg_restore's workers may still be connected (they are being killed right now).
            try (PreparedStatement ps = admin.prepareStatement(
                    "select pg_terminate_backend(pid) from pg_stat_activity where datname = ? and pid <> pg_backend_pid()")) {
                ps.setString(1, target.database());
                ps.execute();
            }
            st.execute("drop database if exists " + Connections.quoteIdentifier(target.database()));
            reporter.info("dropped the database " + target.database() + " this import had created");
        } catch (SQLException | DbToolException e) {
            reporter.warn("could not drop the partly restored database " + target.database() + ": " + e.getMessage());
        }
    }

    /**
     * Runs pg_restore. In parallel mode it reports each table whose data is loaded ("finished item N
     * TABLE DATA"); those are counted right away, beside the index builds, into {@code countedEarly}.
     */
    private List<String> restore(PgTool pgRestore, Path dumpDir, ImportOptions options, Manifest manifest,
            Map<String, Long> countedEarly) {
        boolean parallel = options.jobs() > 1;
        Map<String, Manifest.Table> dataItems = parallel ? dataItems(pgRestore, dumpDir, manifest, options.target()) : Map.of();
        List<String> args = new ArrayList<>(List.of("--jobs=" + Math.max(1, options.jobs())));
        if (parallel) {
            args.add("--verbose");
        }
        if (!options.keepOwners()) {
            args.add("--no-owner");
            args.add("--no-privileges");
        }
        if (options.clean()) {
            args.add("--clean");
            args.add("--if-exists");
        }
        args.addAll(PgProcess.connectionArguments(options.target()));
        args.add(dumpDir.toString());
        List<String> warnings = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        reporter.info("restoring into " + options.target().describe() + " with " + Math.max(1, options.jobs()) + " jobs");
        EarlyRowCounter early = new EarlyRowCounter(options.target());
        PgProcess.Result result;
        try (early) {
            result = new PgProcess(pgRestore, args, options.target(), line -> {
            Matcher finished = FINISHED_DATA.matcher(line);
            if (finished.find() && dataItems.containsKey(finished.group(1))) {
                early.loaded(dataItems.get(finished.group(1)));
            }
            synchronized (warnings) {
                if (line.contains("error:") || line.startsWith("ERROR") || line.contains("FATAL")) {
                    errors.add(line.strip());
                } else if (line.contains("warning:")) {
                    warnings.add(line.strip());
                }
            }
            reporter.detail(line);
            }).run();
            if (result.exitCode() == 0) {
                countedEarly.putAll(early.finish());
            }
        }
        if (result.exitCode() != 0) {
            List<String> shown = errors.isEmpty() ? result.lastLines() : errors;
            String first = shown.stream().limit(3).reduce((a, b) -> a + " | " + b).orElse("no output");
            throw new DbToolException(ExitCode.RUNTIME, "pg_restore failed with " + Math.max(1, errors.size())
                    + " error(s); the target may be partly restored; first: " + first);
        }
        if (!warnings.isEmpty()) {
            reporter.warn("pg_restore printed " + warnings.size() + " warning(s), first: " + warnings.get(0));
        }
        return warnings;
    }
}
