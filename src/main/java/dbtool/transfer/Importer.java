package dbtool.transfer;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.Reporter;
import dbtool.archive.ArchiveLayout;
import dbtool.archive.ArchiveReader;
import dbtool.archive.Manifest;
import dbtool.archive.TailEntries;
import dbtool.config.ConnectionSettings;
import dbtool.pg.Catalog;
import dbtool.pg.Connections;
import dbtool.pg.PgEvent;
import dbtool.pg.PgProcess;
import dbtool.pg.PgTool;
import dbtool.pg.PgToolFailure;
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
    private final WorkDisk disk;

    public Importer(PgToolLocator tools, Reporter reporter) {
        this(tools, reporter, WorkDisk.REAL);
    }

    /** @param disk the work directory's disk (tests: a small or failing one) */
    Importer(PgToolLocator tools, Reporter reporter, WorkDisk disk) {
        this.tools = tools;
        this.reporter = reporter;
        this.disk = disk;
    }

    public ImportResult importArchive(ImportOptions options) {
        long started = System.nanoTime();
        ConnectionSettings target = options.target();
        String archiveName = options.archive().name();
        // The target's read-only checks need nothing from the archive: they run from the start, while the archive's
        // tail is read and (classic way) the whole archive is verified. Both must pass before anything is written to
        // the server, and an unreachable server should not wait for 100 GB.
        CompletableFuture<Preflight> preflight = Background.supply("preflight", () -> preflight(target, options.clean()));
        // pg_restore's --version runs and the process set-up do not need the manifest: done while the tail is read.
        Background.run("tools", () -> {
            tools.findAll("pg_restore");
            PgProcess.prepare();
        });
        try (WorkFiles work = new WorkFiles()) {
            // Cheap for every archive: an encrypted one's last member is decrypted at random access (its chunks
            // alone), so it streams as a plain one does. Only when the tail cannot be read (no key that allows it, an
            // older format) is the manifest checked once the archive is unpacked, still before the server is written.
            java.util.Optional<TailEntries> tail = ArchiveReader.readTail(options.archive(), options.decryptor());
            java.util.Optional<Manifest> head = tail.isPresent() ? tail.map(TailEntries::manifest)
                    : ArchiveReader.readManifestIfQuick(options.archive(), options.decryptor());
            if (head.isPresent()) {
                requireGlobalsIfAsked(head.get(), options, archiveName);
                tools.forServer("pg_restore", majorOf(head.get().pgDumpVersion()));
            }
            Path workDir = work.createImportDir(options.workDir(), archiveName);
            // Streamed (restored while it is read) when the tail holds the toc and the database is ours to drop on a
            // damaged entry: a new one, or --clean's staging database. An existing empty database the user made must
            // stay untouched by a damaged archive, so it gets the whole archive verified first.
            if (tail.isPresent() && tail.get().toc().isPresent() && !options.globals()) {
                requireSpace(workDir, streamedNeed(head.get(), disk.reserve(workDir)));
                PgTool pgRestore = tools.forServer("pg_restore", majorOf(head.get().pgDumpVersion()));
                java.util.Optional<ImportResult> streamed = streamed(pgRestore, options, tail.get(), workDir, preflight,
                        started);
                if (streamed.isPresent()) {
                    return streamed.get();
                }
            }
            if (head.isPresent()) {
                requireSpace(workDir, wholeDump(head.get()));
            }
            reporter.progressStart("checking and unpacking", options.archive().size(), "B");
            ArchiveReader.Result read;
            try {
                read = ArchiveReader.read(options.archive(), workDir, reporter::progressStep, options.decryptor(),
                        head.orElse(null));
            } catch (DbToolException e) {
                preflight.cancel(true);
                throw e;
            } catch (java.io.UncheckedIOException e) {
                preflight.cancel(true);
                throw e.getCause(); // the work disk is full
            } finally {
                reporter.progressEnd();
            }
            Manifest manifest = read.manifest();
            reporter.detail(archiveName + ": " + read.filesChecked() + " checksums verified"
                    + (read.sidecarChecked() ? ", sidecar verified" : ", no sidecar found"));
            if (!read.sidecarChecked()) {
                reporter.warn(archiveName + " has no .sha256 sidecar; relying on the checksums inside the archive");
            }
            Preflight checked = join(preflight);
            requireGlobalsIfAsked(manifest, options, archiveName);
            PgTool pgRestore = tools.forServer("pg_restore", majorOf(manifest.pgDumpVersion()));
            checked.requireExtensions(manifest.extensions());
            boolean exists = checked.exists();
            Path globals = options.globals() ? workDir.resolve(manifest.globals().file()) : null;
            return restore(pgRestore, workDir.resolve(ArchiveLayout.DUMP_DIR), globals, options, manifest, exists, started);
        } catch (IOException e) {
            String message = String.valueOf(e.getMessage());
            if (message.contains("No space left on device")) {
                throw new DbToolException(ExitCode.RUNTIME, "disk full while unpacking into " + options.workDir()
                        + "; free space or set DBTOOL_WORK_DIR to a larger disk; the target was not touched", e);
            }
            throw new DbToolException(ExitCode.RUNTIME, "import failed: " + message, e);
        }
    }

    /**
     * Everything after the dump is on disk and the target passed its checks: create the database
     * when missing, create missing roles (globals), restore in parallel, prove every table's row
     * count, apply the database's own settings, comment and privileges. A database this created is
     * dropped again when the restore fails or is interrupted.
     *
     * @param globals pg_dumpall's globals file to apply first, or null
     * @param exists what {@link #preflight} found
     */
    ImportResult restore(PgTool pgRestore, Path dumpDir, Path globals, ImportOptions options, Manifest manifest,
            boolean exists, long started) {
        return restore(pgRestore, dumpDir, null, globals, options, manifest, exists, started);
    }

    /** As above, with the dump's toc already listed (null: listed here), which saves a pg_restore run. */
    ImportResult restore(PgTool pgRestore, Path dumpDir, TocListing toc, Path globals, ImportOptions options,
            Manifest manifest, boolean exists, long started) {
        return restore(pgRestore, globals, options, manifest, exists, started,
                (into, counted) -> runPgRestore(pgRestore, dumpDir, toc, options, into, manifest, counted));
    }

    /** How the archive's contents get into a database that exists and is empty: pg_restore of the unpacked dump, or streamed. */
    interface Loading {
        /** Restores everything into {@code into}; puts the tables it counted on the way into {@code counted}; returns warnings. */
        List<String> into(ConnectionSettings into, Map<String, Long> counted) throws IOException;
    }

    /** What the import found (or made) of its target database before restoring into it. */
    enum TargetState {
        /** There already: restored into when empty, replaced with --clean. */
        EXISTS,
        /** Not there: created by {@link #restore}. */
        ABSENT,
        /** Created by this import already (while the toc was read), as empty as {@link CreatedDatabase#create} makes it. */
        CREATED
    }

    /** As above, with the contents restored by {@code loading}. */
    ImportResult restore(PgTool pgRestore, Path globals, ImportOptions options, Manifest manifest, boolean exists,
            long started, Loading loading) {
        return restore(globals, options, manifest, exists ? TargetState.EXISTS : TargetState.ABSENT, null, started,
                loading);
    }

    /** @param createdEarly the database {@link #streamed} created (state CREATED), else null */
    private ImportResult restore(Path globals, ImportOptions options, Manifest manifest, TargetState state,
            CreatedDatabase createdEarly, long started, Loading loading) {
        ConnectionSettings target = options.target();
        try {
            Globals.Applied roles = null;
            if (globals != null) {
                roles = applyGlobals(globals, options);
            }
            if (state == TargetState.EXISTS && options.clean()) {
                return replace(options, manifest, started, roles, loading);
            }
            // Our own half-restored database holds no one's data: if the import fails or is interrupted
            // (Ctrl-C, SIGTERM), it is removed so that a retry starts clean instead of finding it "not empty".
            try (CreatedDatabase created = state == TargetState.ABSENT ? CreatedDatabase.create(target, reporter)
                    : createdEarly) {
                return restoreInto(options, manifest, created, roles, started, loading);
            }
        } catch (SQLException e) {
            throw Connections.explain(target, e);
        } catch (IOException e) {
            throw new DbToolException(ExitCode.RUNTIME, "import failed: " + e.getMessage(), e);
        }
    }

    /** Restores into the target, which exists and is empty; {@code created} (null: the user's) is kept on success. */
    private ImportResult restoreInto(ImportOptions options, Manifest manifest, CreatedDatabase created,
            Globals.Applied roles, long started, Loading loading) throws SQLException {
        ConnectionSettings target = options.target();
        List<String> warnings;
        Map<String, Long> countedEarly = new java.util.HashMap<>();
        try {
            warnings = load(loading, target, countedEarly);
        } catch (DbToolException e) {
            if (created == null && !(e instanceof PgToolFailure)) {
                throw e;
            }
            if (created == null) {
                throw new DbToolException(e.exitCode(), e.getMessage() + "; the target may be partly restored", e);
            }
            // Say what is true: the server that failed the restore may not let us drop the database either.
            boolean gone = created.drop(reporter::info);
            throw new DbToolException(e.exitCode(), e.getMessage() + (gone
                    ? "; the database it had created was dropped again"
                    : "; the database it had created could not be dropped (see the warning above): drop it by hand"
                            + " (dropdb " + target.database() + ") before you retry"), e);
        }
        RowCountCheck.Outcome check = checkRowCounts(target, manifest, options, countedEarly);
        List<String> propertyWarnings = List.of();
        if (manifest.database() != null) {
            try (Connection connection = Connections.open(target)) {
                propertyWarnings = DatabaseProperties.apply(connection, manifest.database(), options.keepOwners(), reporter);
            }
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        if (created != null) {
            created.keep(); // a count that differs is reported (exit 3) with the database kept to look at
        }
        return new ImportResult(target, created != null, manifest, warnings, check, millis, roles, propertyWarnings,
                null);
    }

    /** Runs {@code loading}; whatever stops it is a {@link DbToolException}, so that the caller cleans up after it. */
    private static List<String> load(Loading loading, ConnectionSettings into, Map<String, Long> counted) {
        try {
            return loading.into(into, counted);
        } catch (IOException e) {
            String message = String.valueOf(e.getMessage());
            if (message.contains("No space left on device")) {
                throw new DbToolException(ExitCode.RUNTIME, "disk full while restoring (work directory "
                        + "on the disk of DBTOOL_WORK_DIR): free space or set DBTOOL_WORK_DIR to a larger disk", e);
            }
            throw new DbToolException(ExitCode.RUNTIME, "import failed: " + message, e);
        }
    }

    /**
     * Creates the roles the target server lacks. A role that could not be created only matters with
     * --keep-owners (objects would be given to it); without, the restore works as well and it is a warning.
     */
    private Globals.Applied applyGlobals(Path globals, ImportOptions options) throws IOException, SQLException {
        Globals.Applied applied;
        try (Connection admin = openMaintenance(options.target())) {
            applied = Globals.apply(globals, admin, reporter);
        }
        if (!applied.created().isEmpty()) {
            reporter.info("created " + applied.created().size() + " role(s) missing on the target server: "
                    + String.join(", ", applied.created()));
        }
        if (!applied.skipped().isEmpty()) {
            reporter.info("left " + applied.skipped().size() + " existing role(s) alone: " + String.join(", ", applied.skipped()));
        }
        if (!applied.failed().isEmpty()) {
            String first = applied.warnings().get(0);
            String cause = first.substring(first.lastIndexOf(" ("));
            String which = "could not create role(s) " + String.join(", ", applied.failed()) + " on "
                    + options.target().host() + ":" + options.target().port() + cause;
            if (options.keepOwners()) {
                throw DbToolException.usage(which + " and --keep-owners needs them; create them as a superuser,"
                        + " or import without --keep-owners; nothing was restored");
            }
            reporter.warn(which + "; --keep-owners is off, so the restore still works: their objects will belong to "
                    + options.target().effectiveUser());
        }
        return applied;
    }

    static Path createWorkDir(Path parent, String kind) throws IOException {
        Files.createDirectories(parent);
        return Files.createTempDirectory(parent, WorkFiles.PREFIX + kind,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    /**
     * --clean --yes on an existing database: restore into a new database beside it, count, and only when every count
     * matches put it in the target's place. A failure, a mismatch or Ctrl-C anywhere before that leaves the target
     * exactly as it was.
     */
    private ImportResult replace(ImportOptions options, Manifest manifest, long started, Globals.Applied roles,
            Loading loading) throws SQLException {
        ConnectionSettings target = options.target();
        try (DatabaseReplacement replacement = DatabaseReplacement.begin(target, reporter)) {
            ConnectionSettings staging = replacement.staging();
            Map<String, Long> countedEarly = new java.util.HashMap<>();
            List<String> warnings;
            try {
                warnings = load(loading, staging, countedEarly);
            } catch (DbToolException e) {
                throw new DbToolException(e.exitCode(), e.getMessage() + "; " + target.describe() + " was not changed", e);
            }
            RowCountCheck.Outcome check = checkRowCounts(staging, manifest, options, countedEarly);
            String keptAs = check.passed() ? replacement.swap() : null;
            List<String> propertyWarnings = List.of();
            if (keptAs != null && manifest.database() != null) {
                try (Connection connection = Connections.open(target)) {
                    propertyWarnings = DatabaseProperties.apply(connection, manifest.database(), options.keepOwners(), reporter);
                }
            }
            long millis = (System.nanoTime() - started) / 1_000_000;
            return new ImportResult(target, false, manifest, warnings, check, millis, roles, propertyWarnings, keptAs);
        }
    }

    /**
     * The streamed import, or empty when this archive goes the classic way (the target is an existing database the
     * user made, or pg_restore's view of the toc is not what the loaders need); on empty, {@code workDir} is as empty
     * as it was. The toc look-ups (a few pg_restore starts) run while the target's checks finish and a new target
     * database is created: the fixed cost before the first row is loaded is the longer of the two, not their sum. Once
     * both the look-ups and the checks are done, the archive's stream starts too, while the database is created
     * (measured on the bench: 0.1-0.3 s of reading before the schema exists).
     */
    private java.util.Optional<ImportResult> streamed(PgTool pgRestore, ImportOptions options, TailEntries tail,
            Path workDir, CompletableFuture<Preflight> preflight, long started) throws IOException {
        Path dumpDir = StreamedRestore.writeToc(tail, workDir);
        CompletableFuture<java.util.Optional<StreamedRestore>> planning = Background.supply("plan", () -> {
            try {
                java.util.Optional<StreamedRestore> plan = StreamedRestore.plan(reporter, pgRestore, options, tail, workDir, disk);
                if (plan.isPresent() && streamsInto(preflight, options)) {
                    // Sure to go this way: the archive's stream starts while the database it goes to is created.
                    plan.get().startReading();
                }
                return plan;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        TargetState state;
        CreatedDatabase created = null;
        CompletableFuture<List<String>> schema = null;
        try {
            Preflight checked = join(preflight);
            state = checked.exists() ? TargetState.EXISTS : TargetState.ABSENT;
            if (state == TargetState.EXISTS && !options.clean()) {
                awaitQuietly(planning); // not needed after all: the classic way starts from an empty work directory
                WorkFiles.deleteRecursively(workDir.resolve(ArchiveLayout.DUMP_DIR));
                return java.util.Optional.empty();
            }
            checked.requireExtensions(tail.manifest().extensions());
            if (state == TargetState.ABSENT) {
                created = CreatedDatabase.create(options.target(), reporter);
                state = TargetState.CREATED;
                // The schema needs only toc.dat: created while the look-ups for the plan still run.
                schema = StreamedRestore.startSchema(reporter, pgRestore, options, dumpDir, options.target());
            }
        } catch (SQLException e) {
            abandon(planning);
            throw Connections.explain(options.target(), e);
        } catch (RuntimeException e) {
            abandon(planning); // the work directory is removed on the way out: not while pg_restore reads it
            throw e;
        }
        java.util.Optional<StreamedRestore> plan;
        try {
            plan = planned(planning);
        } catch (IOException | RuntimeException e) {
            if (created != null) {
                if (schema != null) {
                    awaitQuietly(schema); // its pg_restore is connected to the database
                }
                created.close();
            }
            throw e;
        }
        if (plan.isEmpty() && schema != null) {
            awaitQuietly(schema); // its pg_restore is connected to the database about to be dropped
        }
        if (plan.isEmpty()) {
            // The classic way verifies the whole archive before it creates the database: not ours to keep until then.
            if (created == null || created.drop(reporter::detail)) {
                return java.util.Optional.empty();
            }
            throw new DbToolException(ExitCode.RUNTIME, "could not drop the database " + options.target().database()
                    + " this import had created (see the warning above): drop it by hand (dropdb "
                    + options.target().database() + ") before you retry");
        }
        CompletableFuture<List<String>> schemaOfTarget = schema;
        try {
            return java.util.Optional.of(restore(null, options, tail.manifest(), state, created, started,
                    (into, counted) -> plan.get().into(into, counted, into.equals(options.target()) ? schemaOfTarget : null)));
        } finally {
            plan.get().stopReading(); // when the import stopped before the restore took the stream over
        }
    }

    /** Whether the checks of the target say the import goes streamed: a new database, or --clean's beside it. */
    private static boolean streamsInto(CompletableFuture<Preflight> preflight, ImportOptions options) {
        try {
            return !preflight.join().exists() || options.clean();
        } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException failed) {
            return false; // the import stops: the main thread reports why
        }
    }

    /** Waits for the plan's thread, and stops the archive's stream it may have started: the import goes no further. */
    private static void abandon(CompletableFuture<java.util.Optional<StreamedRestore>> planning) {
        awaitQuietly(planning);
        if (planning.isDone() && !planning.isCompletedExceptionally()) {
            planning.join().ifPresent(StreamedRestore::stopReading);
        }
    }

    private static java.util.Optional<StreamedRestore> planned(
            CompletableFuture<java.util.Optional<StreamedRestore>> planning) throws IOException {
        try {
            return planning.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DbToolException(ExitCode.RUNTIME, "interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof java.io.UncheckedIOException io) {
                throw io.getCause();
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new DbToolException(ExitCode.RUNTIME, "reading the archive's toc failed: " + e.getCause(), e.getCause());
        }
    }

    private static void awaitQuietly(CompletableFuture<?> future) {
        try {
            future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException failedToo) {
            // the caller reports the failure that stopped the import first
        }
    }

    /**
     * What a streamed import writes to the work directory for certain: toc.dat and the entries it unpacks for
     * pg_restore (large objects), plus the {@code reserve} spilled entries leave free ({@link WorkDisk#reserve}).
     * Table data goes to a loader, and to the disk only while there is room beyond this. Never more than the whole
     * dump: it writes less than the classic way, so a disk that holds the whole dump is never refused.
     */
    static long streamedNeed(Manifest manifest, long reserve) {
        long unpacked = manifest.files().stream().filter(f -> !StreamedLoad.isTableData(f.path()))
                .mapToLong(Manifest.FileEntry::size).sum();
        return Math.min(unpacked + reserve, wholeDump(manifest));
    }

    /** What the classic way unpacks. */
    static long wholeDump(Manifest manifest) {
        return manifest.files().stream().mapToLong(Manifest.FileEntry::size).sum();
    }

    private void requireSpace(Path workDir, long needed) {
        long free = disk.usableSpace(workDir);
        if (free < needed) {
            throw new DbToolException(ExitCode.RUNTIME, "unpacking needs " + readable(needed) + " but "
                    + workDir.getParent() + " has " + readable(free) + " free; free space or set DBTOOL_WORK_DIR");
        }
    }

    /** Never "needs 0 MiB but has 0 MiB free": small amounts in the unit that shows them. */
    static String readable(long bytes) {
        if (bytes < 1024) {
            return bytes + " bytes";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = bytes / 1024.0;
        int unit = 0;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    private static PgVersion majorOf(String version) {
        String major = version.contains(".") ? version.substring(0, version.indexOf('.')) : version;
        return new PgVersion(Integer.parseInt(major), 0);
    }

    /**
     * Read-only checks of the target: the server answers, the extensions the archive needs are
     * available, and an existing database is empty unless --clean --yes. Returns whether it exists.
     */
    private static void requireGlobalsIfAsked(Manifest manifest, ImportOptions options, String archiveName) {
        if (options.globals() && !manifest.hasGlobals()) {
            throw DbToolException.usage(archiveName + " holds no roles (it was exported without --globals);"
                    + " import it without --globals, or export again with --globals");
        }
    }

    /** What the read-only checks of the target found: whether the database exists, which extensions it offers. */
    record Preflight(boolean exists, Set<String> availableExtensions) {
        void requireExtensions(List<Manifest.Extension> needed) {
            List<String> missing = needed.stream().map(Manifest.Extension::name)
                    .filter(name -> !availableExtensions.contains(name)).toList();
            if (!missing.isEmpty()) {
                throw new DbToolException(ExitCode.RUNTIME, "the target server lacks extension(s) " + missing
                        + " that the archive uses; install them there (e.g. the postgresql-contrib package) and retry");
            }
        }
    }

    /** The target's checks that need no manifest: reachable, and empty (or, with --clean, free of other sessions). */
    Preflight preflight(ConnectionSettings target, boolean clean) {
        Set<String> available = new HashSet<>();
        try (Connection admin = openMaintenance(target)) {
            try (Statement st = admin.createStatement();
                    ResultSet rs = st.executeQuery("select name from pg_available_extensions")) {
                while (rs.next()) {
                    available.add(rs.getString(1));
                }
            }
            if (!databaseExists(admin, target.database())) {
                return new Preflight(false, available);
            }
        } catch (SQLException e) {
            throw Connections.explain(target, e);
        }
        if (clean) {
            DatabaseReplacement.requireNoOtherSessions(target); // before unpacking 100 GB, not after
            return new Preflight(true, available);
        }
        try (Connection connection = Connections.open(target)) {
            if (!Catalog.isEmpty(connection)) {
                throw DbToolException.usage("target database " + target.describe() + " is not empty; import into an"
                        + " empty database, or add --clean --yes to replace it");
            }
            return new Preflight(true, available);
        } catch (SQLException e) {
            throw Connections.explain(target, e);
        }
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

    /** The target server's postgres (else template1) database: the target database may not exist yet. */
    static Connection openMaintenance(ConnectionSettings target) {
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

    /** The dump's table of contents, or null when pg_restore cannot list it: it only feeds progress and early counts. */
    private static TocListing tocOf(PgTool pgRestore, Path dumpDir, ConnectionSettings target) {
        try {
            return TocListing.read(pgRestore, dumpDir, target);
        } catch (DbToolException e) {
            return null; // everything is counted after the restore instead, without a progress bar
        }
    }

    /** Dump ids of the manifest's checked tables, from the dump's TOC. */
    static Map<String, Manifest.Table> dataItems(TocListing toc, Manifest manifest) {
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

    /** Proves every table's rows, with a progress bar on a terminal: after a big restore this is a scan of everything. */
    private RowCountCheck.Outcome checkRowCounts(ConnectionSettings into, Manifest manifest, ImportOptions options,
            Map<String, Long> countedEarly) {
        reporter.progressStart("checking row counts", manifest.tableCount(), " tables");
        try {
            return RowCountCheck.run(into, manifest, Math.max(1, options.jobs()), countedEarly, () -> reporter.progressStep(1));
        } finally {
            reporter.progressEnd();
        }
    }

    /**
     * Runs pg_restore. In parallel mode it reports each table whose data is loaded ("finished item N
     * TABLE DATA"); those are counted right away, beside the index builds, into {@code countedEarly}.
     */
    private List<String> runPgRestore(PgTool pgRestore, Path dumpDir, TocListing listed, ImportOptions options,
            ConnectionSettings into, Manifest manifest, Map<String, Long> countedEarly) {
        boolean parallel = options.jobs() > 1;
        TocListing toc = listed != null ? listed : tocOf(pgRestore, dumpDir, into);
        Map<String, Manifest.Table> dataItems = parallel && toc != null ? dataItems(toc, manifest) : Map.of();
        CopyBytesOnServer copying = new CopyBytesOnServer(into);
        RestoreProgress progress = toc != null ? RestoreProgress.of(toc, dumpDir, parallel, copying) : null;
        // -v: the lines that say which table is loaded and when the index builds start (progress, early counts).
        List<String> args = new ArrayList<>(List.of("--jobs=" + Math.max(1, options.jobs()), "--verbose"));
        if (!options.keepOwners()) {
            args.add("--no-owner");
            args.add("--no-privileges");
        }
        args.addAll(PgProcess.connectionArguments(into));
        args.add(dumpDir.toString());
        List<String> warnings = new ArrayList<>();
        reporter.info("restoring into " + into.describe() + " with " + Math.max(1, options.jobs()) + " jobs");
        EarlyRowCounter early = new EarlyRowCounter(into);
        PgProcess.Result result;
        if (progress != null) {
            reporter.progressStart("restoring", "B", progress.loading());
        }
        try (early; copying) {
            result = new PgProcess(pgRestore, args, into, event -> {
                if (progress != null) {
                    progress.onEvent(event, () -> {
                        reporter.progressEnd();
                        if (progress.hasPostData()) {
                            reporter.progressStart("building indexes", " items", progress.building());
                        }
                    });
                }
                if (event instanceof PgEvent.ItemFinished item && item.isTableData()
                        && dataItems.containsKey(String.valueOf(item.dumpId()))) {
                    early.loaded(dataItems.get(String.valueOf(item.dumpId())));
                } else if (event instanceof PgEvent.Warning) {
                    synchronized (warnings) {
                        warnings.add(event.line().strip());
                    }
                }
                reporter.detail(event.line());
            }).run();
            if (result.ok()) {
                if (progress != null) {
                    progress.finish();
                }
                countedEarly.putAll(early.finish());
            }
        } finally {
            reporter.progressEnd();
        }
        if (!result.ok()) {
            String first = result.errors().isEmpty() ? result.firstError()
                    : result.errors().stream().limit(3).map(String::strip).reduce((a, b) -> a + " | " + b).orElseThrow();
            throw result.failure("pg_restore failed with " + Math.max(1, result.errors().size()) + " error(s): " + first);
        }
        if (!warnings.isEmpty()) {
            reporter.warn("pg_restore printed " + warnings.size() + " warning(s), first: " + warnings.get(0));
        }
        return warnings;
    }
}
