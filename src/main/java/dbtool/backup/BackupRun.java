package dbtool.backup;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.Reporter;
import dbtool.archive.ArchiveReader;
import dbtool.archive.Compression;
import dbtool.archive.Sha256;
import dbtool.config.BackupSettings;
import dbtool.config.ConnectionSettings;
import dbtool.config.NotifySettings;
import dbtool.config.ProjectConfig;
import dbtool.crypto.AgeEncryption;
import dbtool.crypto.AgeIdentity;
import dbtool.crypto.Decryptor;
import dbtool.pg.Connections;
import dbtool.pg.PgToolFailure;
import dbtool.pg.PgToolLocator;
import dbtool.storage.ArchiveStore;
import dbtool.storage.LocalStore;
import dbtool.storage.Stores;
import dbtool.transfer.ExportOptions;
import dbtool.transfer.ExportResult;
import dbtool.transfer.Exporter;
import dbtool.transfer.ImportOptions;
import dbtool.transfer.ImportResult;
import dbtool.transfer.Importer;
import dbtool.verify.RowCountCheck;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One unattended backup of one project: lock, clean leftovers, export, optionally verify, mark verified, apply
 * retention, notify. The order is the safety argument:
 * <ul>
 *   <li>leftovers are only cleaned while holding the lock, so a running backup's files are never taken for junk;</li>
 *   <li>retention runs only after the new archive is complete (and verified, when verification is on), so a failed
 *       run deletes nothing and there is always a newer good archive than anything deleted;</li>
 *   <li>notifications come last and can only add warnings: the outcome's exit code is decided before them.</li>
 * </ul>
 * Never throws for an expected failure: the failure is part of the {@link Outcome}, so {@code --all} can go on.
 */
public final class BackupRun {

    private final PgToolLocator tools;
    private final Reporter reporter;
    private final String toolVersion;
    private final Notifier notifier;
    private final String configSource;
    private final Path identity;
    private final Stores stores;

    /**
     * @param configSource the config file, named in messages whose fix is to change it
     * @param identity {@code --identity FILE} for verifying encrypted archives, or null for the config's
     *     {@code encryption.identity_file} or {@code $DBTOOL_AGE_IDENTITY_FILE}
     * @param stores opens backup.dir, a directory or a bucket (with each project's storage settings)
     */
    public BackupRun(PgToolLocator tools, Reporter reporter, String toolVersion, Notifier notifier, String configSource,
            Path identity, Stores stores) {
        this.tools = tools;
        this.reporter = reporter;
        this.toolVersion = toolVersion;
        this.notifier = notifier;
        this.configSource = configSource;
        this.identity = identity;
        this.stores = stores;
    }

    public BackupRun(PgToolLocator tools, Reporter reporter, String toolVersion, Notifier notifier, String configSource,
            Path identity) {
        this(tools, reporter, toolVersion, notifier, configSource, identity, Stores.fromSystemEnvironment());
    }

    public BackupRun(PgToolLocator tools, Reporter reporter, String toolVersion, Notifier notifier, String configSource) {
        this(tools, reporter, toolVersion, notifier, configSource, null);
    }

    /** The project's backup location, opened: a local directory or a bucket prefix. The caller closes its store. */
    public BackupDirectory open(ProjectConfig project) {
        return BackupDirectory.open(stores, project);
    }

    /**
     * What one project's run did.
     *
     * @param exitCode {@link ExitCode#OK} or the failure's code
     * @param error the one-line failure message, or null
     * @param archive the archive written (a full path or an s3:// URL), or null when the run failed before that
     * @param verified whether the archive was restored and its row counts matched
     * @param removed archives deleted by retention (full paths, as {@code backups prune} reports them)
     * @param kept archives retention kept (full paths), newest first
     * @param cleaned leftovers of interrupted runs that were removed (full paths)
     * @param droppedDatabases verification databases of interrupted runs that were dropped
     * @param notifyFailures warnings from the notifier; they never change the exit code
     * @param drift tables whose rows dropped sharply since the previous backup (then the exit code is 7)
     * @param failure the failure with its cause (for -v), or null
     */
    public record Outcome(String project, ExitCode exitCode, String error, String archive, long sizeBytes, long rows,
            boolean verified, List<String> removed, List<String> kept, List<String> cleaned,
            List<String> droppedDatabases, List<String> notifyFailures, long millis, List<TableDrift> drift,
            DbToolException failure) {
        public Outcome {
            removed = List.copyOf(removed);
            kept = List.copyOf(kept);
            cleaned = List.copyOf(cleaned);
            droppedDatabases = List.copyOf(droppedDatabases);
            notifyFailures = List.copyOf(notifyFailures);
            drift = List.copyOf(drift);
        }

        /** The archive was written and kept: a plain success, or a drift (exit 7), which is a warning. */
        public boolean ok() {
            return exitCode == ExitCode.OK || exitCode == ExitCode.DRIFT;
        }
    }

    /** What the run found out before it ended, so a failure can still report what was done. */
    private static final class Progress {
        ExportResult export;
        boolean verified;
        List<String> removed = List.of();
        List<String> kept = List.of();
        List<String> cleaned = List.of();
        List<String> droppedDatabases = List.of();
        List<TableDrift> drift = List.of();
    }

    public Outcome run(ProjectConfig project, boolean verifyFlag) {
        long started = System.nanoTime();
        BackupSettings settings = project.backup();
        boolean verify = verifyFlag || settings.verify();
        Progress progress = new Progress();
        DbToolException failure = null;
        try {
            runLocked(project, settings, verify, progress, started);
        } catch (DbToolException e) {
            failure = e;
        } catch (RuntimeException e) {
            // A bug must still end as a failed backup with an alert, not as a silent crash of the whole --all run.
            failure = new DbToolException(ExitCode.RUNTIME, "unexpected " + e.getClass().getSimpleName() + ": "
                    + e.getMessage(), e);
        }
        ExitCode code = failure != null ? failure.exitCode() : progress.drift.isEmpty() ? ExitCode.OK : ExitCode.DRIFT;
        String error = failure == null ? null : failure.getMessage();
        List<String> notifyFailures = new ArrayList<>(notifyOutcome(project, code, error, progress));
        ExportResult export = progress.export;
        Outcome outcome = new Outcome(project.name(), code, error, export == null ? null : export.archive().location(),
                export == null ? 0 : export.sizeBytes(), export == null ? 0 : export.manifest().totalRows(),
                progress.verified, progress.removed, progress.kept, progress.cleaned, progress.droppedDatabases,
                notifyFailures,
                (System.nanoTime() - started) / 1_000_000, progress.drift, failure);
        List<String> metricsFailures = new BackupMetrics(reporter, stores).publish(project, outcome, Instant.now());
        if (metricsFailures.isEmpty()) {
            return outcome;
        }
        notifyFailures.addAll(metricsFailures);
        return new Outcome(outcome.project(), outcome.exitCode(), outcome.error(), outcome.archive(),
                outcome.sizeBytes(), outcome.rows(), outcome.verified(), outcome.removed(), outcome.kept(),
                outcome.cleaned(), outcome.droppedDatabases(), notifyFailures, outcome.millis(), outcome.drift(),
                outcome.failure());
    }

    /**
     * Runs the backup under the project's lock and records it in the project's {@link RunHistory}, success or failure,
     * while still holding the lock (a run that could not take the lock records nothing: the holder is writing).
     */
    private void runLocked(ProjectConfig project, BackupSettings settings, boolean verify, Progress progress,
            long started) {
        AgeEncryption encryption = project.encryption().encryption();
        Decryptor decryptor = AgeIdentity.resolve(identity, project.encryption().identityFile(), System::getenv,
                reporter::warn);
        if (verify && encryption != null && decryptor == Decryptor.NONE) {
            // Found out before the export, not after an hour of pg_dump.
            throw DbToolException.usage("backup --verify of " + project.name() + " restores its encrypted archive and"
                    + " needs the private key: give --identity FILE, encryption.identity_file in " + configSource
                    + " or $" + AgeIdentity.ENVIRONMENT_VARIABLE + ", or verify on the machine that holds the key");
        }
        BackupDirectory backups = open(project);
        try (ArchiveStore store = backups.store(); RunLock lock = createAndLock(backups, project)) {
            ExitCode code = ExitCode.RUNTIME;
            String error = null;
            try {
                backUp(project, settings, verify, progress, backups, lock, encryption, decryptor);
                code = progress.drift.isEmpty() ? ExitCode.OK : ExitCode.DRIFT;
            } catch (DbToolException e) {
                code = e.exitCode();
                error = e.getMessage();
                throw e;
            } catch (RuntimeException e) {
                error = "unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage();
                throw e;
            } finally {
                record(backups, progress, code, error, started);
            }
        }
    }

    private RunLock createAndLock(BackupDirectory backups, ProjectConfig project) {
        backups.create(configSource);
        return RunLock.acquire(backups.store(), project.name());
    }

    /** History is a convenience for alerts and reports: failing to write it must not fail the backup. */
    private void record(BackupDirectory backups, Progress progress, ExitCode code, String error, long started) {
        ExportResult export = progress.export;
        boolean wrote = export != null && (code == ExitCode.OK || code == ExitCode.DRIFT);
        RunHistory.Entry entry = new RunHistory.Entry(Instant.now(), code.code(), error,
                export == null ? null : export.archive().name(),
                export == null ? 0 : export.sizeBytes(), export == null ? 0 : export.manifest().totalRows(),
                progress.verified, (System.nanoTime() - started) / 1_000_000, progress.drift,
                wrote ? RunHistory.rowsByTable(export.manifest()) : null);
        try {
            RunHistory.of(backups).append(entry);
        } catch (DbToolException e) {
            reporter.warn(e.getMessage() + " (the backup's own result is unaffected)");
        }
    }

    private void backUp(ProjectConfig project, BackupSettings settings, boolean verify, Progress progress,
            BackupDirectory backups, RunLock lock, AgeEncryption encryption, Decryptor decryptor) {
        String dir = backups.location();
        RetentionPolicy policy = policy(settings);
        lock.takenOverFrom().ifPresent(stale -> reporter.warn("took over the lock of a backup that died ("
                + stale.describe() + "); cleaning up what it left"));
        List<BackupDirectory.Leftover> cleaned = new ArrayList<>(backups.cleanLeftovers(failure -> reporter.warn(
                "could not remove a leftover of an interrupted run: " + failure + "; remove it by hand (backups list"
                + " shows it)")));
        if (backups.store().localDirectory().isEmpty()) {
            // An upload to a bucket is staged locally; a killed run's staging files are this project's too.
            cleaned.addAll(new BackupDirectory(new LocalStore(Exporter.stagingDirectory(stores.environment())),
                    project.name()).cleanWorkFiles());
        }
        progress.cleaned = cleaned.stream().map(BackupDirectory.Leftover::location).toList();
        cleaned.forEach(l -> reporter.info("removed leftover of an interrupted run: " + l.name()));
        if (verify) {
            progress.droppedDatabases = dropLeftoverThrowaways(project, settings);
        }

        reporter.info("backing up project " + project.name() + " from " + project.connection().describe()
                + " into " + dir);
        if (encryption != null) {
            reporter.info("encrypting to " + encryption.recipientCount() + " age recipient(s)");
        }
        ExportOptions options = new ExportOptions(project.name(), project.connection(), dir,
                Runtime.getRuntime().availableProcessors(), Compression.GZIP, List.of(), List.of(), encryption);
        ExportResult export = new Exporter(tools, reporter, toolVersion, stores.with(project.storage())).export(options);
        progress.export = export;
        try {
            finish(project, settings, verify, progress, backups, decryptor, policy, export);
        } finally {
            export.close();
        }
    }

    private void finish(ProjectConfig project, BackupSettings settings, boolean verify, Progress progress,
            BackupDirectory backups, Decryptor decryptor, RetentionPolicy policy, ExportResult export) {
        reporter.info("wrote " + export.archive().name() + " (" + export.sizeBytes() + " bytes, "
                + export.manifest().tables().size() + " tables, " + export.manifest().totalRows() + " rows)");

        if (verify) {
            verifyArchive(project, settings, export, decryptor);
            writeVerifiedMarker(export);
            progress.verified = true;
        }

        progress.drift = drift(project, backups, export);

        // This run's drift is not in the history yet (it is recorded when the run ends): tell retention about it.
        RunHistory.Entry pending = new RunHistory.Entry(Instant.now(), ExitCode.DRIFT.code(), null,
                export.archive().name(), 0, 0, false, 0, progress.drift, null);
        RetentionOutcome retention = applyRetention(backups, policy, export.archive().location(), false,
                progress.drift.isEmpty() ? List.of() : List.of(pending));
        progress.removed = retention.removed();
        progress.kept = retention.kept();
    }

    /**
     * Compares the new archive's row counts with the previous backup of the project (the newest other complete
     * archive not newer than it). Each drifted table gets a warning line, which {@code -q} does not silence.
     */
    private List<TableDrift> drift(ProjectConfig project, BackupDirectory backups, ExportResult export) {
        if (!project.drift().enabled()) {
            return List.of();
        }
        List<RunHistory.Entry> history = RunHistory.of(backups).entries();
        List<BackupFile> archives = backups.archives();
        int self = 0;
        while (self < archives.size() && !archives.get(self).path().equals(export.archive().location())) {
            self++;
        }
        List<String> unreadable = new ArrayList<>();
        // Newest first: the ones after this run's archive are older (a future-stamped file is not "previous").
        for (BackupFile previous : archives.subList(Math.min(self + 1, archives.size()), archives.size())) {
            var before = RunHistory.tablesOf(backups, previous, history);
            if (before.isEmpty()) {
                unreadable.add(previous.fileName());
                continue;
            }
            if (!unreadable.isEmpty()) {
                reporter.info("cannot read the row counts of " + unreadable.size() + " newer archive(s) (" + unreadable.get(0)
                        + (unreadable.size() > 1 ? ", ..." : "") + "); checking for dropped rows against " + previous.fileName());
            }
            List<TableDrift> drift = TableDrift.between(before.get(), RunHistory.rowsByTable(export.manifest()),
                    project.drift());
            drift.forEach(d -> reporter.warn("drift in " + project.name() + ": " + d.describe() + " since "
                    + previous.fileName()));
            return drift;
        }
        if (!unreadable.isEmpty()) {
            reporter.info("no earlier archive with readable row counts; dropped rows not checked");
        }
        return List.of();
    }

    /** How backup, prune and list say that no keep_* rule is set. */
    public static final String NO_POLICY = "no retention policy is set (keep_last, keep_daily, keep_weekly,"
            + " keep_monthly under backup:)";

    /** The project's retention rules; absent keys are 0. With none set, retention deletes nothing. */
    public static RetentionPolicy policy(BackupSettings settings) {
        return new RetentionPolicy(settings.keepLast(), settings.keepDaily(), settings.keepWeekly(),
                settings.keepMonthly());
    }

    /**
     * What retention kept and removed (or would remove, on a dry run).
     *
     * @param reasons for each kept archive, why ("last", "daily", ...), in {@code kept}'s order
     */
    public record RetentionOutcome(List<String> kept, List<List<String>> reasons, List<String> removed) {
        public RetentionOutcome {
            kept = List.copyOf(kept);
            reasons = List.copyOf(reasons);
            removed = List.copyOf(removed);
        }
    }

    /**
     * Applies the policy to the complete archives, but never removes {@code protect} (the archive this run just
     * wrote: an archive with a fabricated or clock-skewed future stamp must not push it out) nor the newest
     * verified archive (with verification on, the newest that is known to restore). The caller holds the lock.
     */
    public RetentionOutcome applyRetention(BackupDirectory backups, RetentionPolicy policy, String protect, boolean dryRun) {
        return applyRetention(backups, policy, protect, dryRun, List.of());
    }

    /** @param pending history entries of this run, not yet written */
    private RetentionOutcome applyRetention(BackupDirectory backups, RetentionPolicy policy, String protect,
            boolean dryRun, List<RunHistory.Entry> pending) {
        List<BackupFile> archives = backups.archives();
        if (!policy.isSet()) {
            reporter.info(NO_POLICY + " for project " + backups.project() + "; nothing is deleted");
        }
        RetentionDecision decision = policy.apply(archives);
        String newestVerified = archives.stream().filter(BackupFile::verified).findFirst()
                .map(BackupFile::path).orElse(null);
        List<RunHistory.Entry> history = new ArrayList<>(RunHistory.of(backups).entries());
        history.addAll(pending);
        Set<String> beforeDrift = beforeDrift(archives, history);
        List<String> kept = new ArrayList<>();
        List<List<String>> reasons = new ArrayList<>();
        for (BackupFile file : decision.keep()) {
            kept.add(file.path());
            reasons.add(decision.reasonsFor(file));
        }
        List<String> removed = new ArrayList<>();
        for (BackupFile file : decision.remove()) {
            if (file.path().equals(protect) || file.path().equals(newestVerified)) {
                kept.add(file.path());
                reasons.add(List.of(file.path().equals(protect) ? "written by this run" : "newest verified archive"));
                continue;
            }
            if (beforeDrift.contains(file.fileName())) {
                kept.add(file.path());
                reasons.add(List.of(REASON_BEFORE_DRIFT));
                continue;
            }
            if (dryRun) {
                reporter.info("would remove " + file.fileName() + " (no retention rule keeps it)");
            } else {
                backups.delete(file);
                reporter.info("removed " + file.fileName() + " (no retention rule keeps it)");
            }
            removed.add(file.path());
        }
        return new RetentionOutcome(kept, reasons, removed);
    }

    public static final String REASON_BEFORE_DRIFT = "last archive before a drift";

    /**
     * The archives retention must keep because of drift: for each archive with a drift, the archive just before it,
     * until a newer archive without drift exists. Then the data as it was before the drop stays restorable.
     *
     * @param archives newest first
     * @return their file names
     */
    static Set<String> beforeDrift(List<BackupFile> archives, List<RunHistory.Entry> history) {
        Set<String> keep = new java.util.HashSet<>();
        boolean newerWithoutDrift = false;
        for (int i = 0; i < archives.size(); i++) {
            boolean drifted = !RunHistory.driftOf(archives.get(i), history).isEmpty();
            if (drifted && !newerWithoutDrift && i + 1 < archives.size()) {
                keep.add(archives.get(i + 1).fileName());
            }
            newerWithoutDrift |= !drifted;
        }
        return keep;
    }

    /**
     * Restores the archive into a throwaway database and compares row counts with the manifest. The database gets a
     * random name no one else uses, and is dropped however the restore ends.
     */
    private void verifyArchive(ProjectConfig project, BackupSettings settings, ExportResult export, Decryptor decryptor) {
        // A key that does not fit is a config error (exit 2), not an archive that failed to restore.
        ArchiveReader.readManifestIfQuick(export.archive(), decryptor); // decrypts the first bytes at most
        ConnectionSettings server = verifyServer(project, settings);
        String name = throwawayName(project.name());
        ConnectionSettings target = server.withDatabase(name);
        reporter.info("verifying " + export.archive().name() + " by restoring it into " + target.describe());
        String what = "verification of " + export.archive().name() + " failed";
        // Ctrl-C or SIGTERM (systemd stop) skips the finally below; without the hook the database would stay.
        Thread dropOnShutdown = new Thread(() -> dropThrowaway(target), "dbtool-drop-" + name);
        Runtime.getRuntime().addShutdownHook(dropOnShutdown);
        try {
            ImportOptions options = new ImportOptions(export.archive(), project.name(), target,
                    Runtime.getRuntime().availableProcessors(), false, false, verifyWorkDir(export), decryptor);
            ImportResult result = new Importer(tools, reporter).importArchive(options);
            RowCountCheck.Outcome check = result.check();
            if (!check.passed()) {
                check.mismatches().forEach(m -> reporter.warn("row count mismatch: " + m.describe()));
                throw new DbToolException(ExitCode.VALIDATION, what + ": " + check.mismatches().size() + " of "
                        + check.tablesChecked() + " tables have other row counts than the manifest after restore"
                        + " (first: " + check.mismatches().get(0).describe() + "); the archive is kept but not"
                        + " counted as verified and nothing was pruned");
            }
            reporter.info("verified: " + check.tablesChecked() + " tables, " + check.rowsChecked()
                    + " rows match the manifest");
        } catch (DbToolException e) {
            if (e.exitCode() == ExitCode.VALIDATION && e.getMessage().startsWith(what)) {
                throw e;
            }
            // pg_restore failing on the archive's contents means this archive does not restore: a validation failure.
            // A verify server that cannot be reached or a full disk says nothing about the archive: runtime.
            ExitCode code = isRestoreFailure(e) ? ExitCode.VALIDATION : e.exitCode();
            throw new DbToolException(code, what + ": " + e.getMessage()
                    + "; the archive is kept but not counted as verified and nothing was pruned", e);
        } finally {
            dropThrowaway(target);
            try {
                Runtime.getRuntime().removeShutdownHook(dropOnShutdown);
            } catch (IllegalStateException alreadyShuttingDown) {
                // the hook is running or ran: it drops the same database, "if exists"
            }
        }
    }

    private static boolean isRestoreFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof PgToolFailure f) {
                return !(f instanceof PgToolFailure.DiskFull);
            }
        }
        return false;
    }

    /** backup.verify_url names the server (its database part is ignored); default: the source server. */
    static ConnectionSettings verifyServer(ProjectConfig project, BackupSettings settings) {
        ConnectionSettings source = project.connection();
        if (settings.verifyUrl() == null || settings.verifyUrl().isBlank()) {
            return source;
        }
        ConnectionSettings verify = ConnectionSettings.parse(settings.verifyUrl());
        // Without credentials of its own, the verify server is logged into like the source (often the same server).
        return verify.user() == null ? verify.withCredentials(project.user(), project.password()) : verify;
    }

    static String throwawayName(String project) {
        byte[] random = new byte[4];
        new SecureRandom().nextBytes(random);
        return throwawayPrefix(project) + HexFormat.of().formatHex(random);
    }

    /**
     * {@code dbtool_verify_<project>_}, followed by 8 random hex digits. The leftover cleanup drops names of exactly
     * that form under this project's lock only, so no other project may share the prefix: a name that had to be
     * changed to fit (case, characters, length) gets a hash of the real name, so "a.b" and "a_b" stay apart.
     */
    static String throwawayPrefix(String project) {
        String safe = project.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        if (!safe.equals(project) || safe.length() > 32) {
            String hash = Sha256.hex(project.getBytes(StandardCharsets.UTF_8)).substring(0, 6);
            safe = safe.substring(0, Math.min(safe.length(), 32)) + "_" + hash;
        }
        return "dbtool_verify_" + safe + "_"; // at most 14 + 39 + 1 + 8 = 62 of PostgreSQL's 63 bytes
    }

    /**
     * Drops verification databases that an interrupted run of this project left (kill -9, or a shutdown hook that
     * could not reach the server). Only called under the project's lock, so none of them belongs to a running verify.
     * Best effort: a server that cannot be reached here fails the verification itself with a clear message.
     */
    private List<String> dropLeftoverThrowaways(ProjectConfig project, BackupSettings settings) {
        ConnectionSettings server = verifyServer(project, settings);
        Pattern own = Pattern.compile(Pattern.quote(throwawayPrefix(project.name())) + "[0-9a-f]{8}");
        List<String> found = new ArrayList<>();
        try (Connection admin = Connections.open(server.withDatabase("postgres"));
                Statement st = admin.createStatement();
                ResultSet rs = st.executeQuery("select datname from pg_database where datname like 'dbtool_verify_%'")) {
            while (rs.next()) {
                if (own.matcher(rs.getString(1)).matches()) {
                    found.add(rs.getString(1));
                }
            }
        } catch (SQLException | DbToolException e) {
            reporter.warn("could not look for leftover verification databases on " + server.host() + ":"
                    + server.port() + ": " + e.getMessage());
            return List.of();
        }
        List<String> dropped = new ArrayList<>();
        for (String name : found) {
            if (dropThrowaway(server.withDatabase(name))) {
                reporter.info("dropped verification database " + name + " left by an interrupted run");
                dropped.add(name);
            }
        }
        return dropped;
    }

    /**
     * Unpack next to the archive (that disk just held the dump), unless DBTOOL_WORK_DIR says otherwise; an archive in
     * a bucket is streamed back from it and unpacked in the system's temporary directory.
     */
    private Path verifyWorkDir(ExportResult export) {
        String env = stores.environment().apply("DBTOOL_WORK_DIR");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return export.archive().store().localDirectory().orElse(Path.of(System.getProperty("java.io.tmpdir")));
    }

    /** Also runs in a shutdown hook: short timeouts, so a hung server cannot keep the process from exiting. */
    private boolean dropThrowaway(ConnectionSettings target) {
        try (Connection admin = Connections.open(target.withDatabase("postgres"))) {
            try (Statement st = admin.createStatement()) {
                st.execute("set statement_timeout = '10s'");
            }
            try (PreparedStatement ps = admin.prepareStatement(
                    "select pg_terminate_backend(pid) from pg_stat_activity where datname = ? and pid <> pg_backend_pid()")) {
                ps.setString(1, target.database());
                ps.execute();
            }
            try (Statement st = admin.createStatement()) {
                st.execute("drop database if exists " + Connections.quoteIdentifier(target.database()));
            }
            reporter.detail("dropped verification database " + target.database());
            return true;
        } catch (SQLException | DbToolException e) {
            reporter.warn("could not drop verification database " + target.database() + " on " + target.host()
                    + ":" + target.port() + ": " + e.getMessage() + "; the next verified backup of this project drops"
                    + " it, or drop it by hand");
            return false;
        }
    }

    /** {@code <archive>.verified}, written in one piece (a temporary name renamed on local disk), never half there. */
    private static void writeVerifiedMarker(ExportResult export) {
        String marker = export.archive().name() + BackupDirectory.VERIFIED_SUFFIX;
        String content = "verified_at=" + Instant.now() + "\nsha256=" + export.sha256() + "\ntables="
                + export.manifest().tables().size() + "\nrows=" + export.manifest().totalRows() + "\n";
        try {
            export.archive().store().writeText(marker, content);
        } catch (IOException e) {
            throw DbToolException.runtime("cannot write " + export.archive().store().locationOf(marker) + ": "
                    + e.getMessage() + "; the archive was verified but is not marked so, and nothing was pruned", e);
        }
    }

    private List<String> notifyOutcome(ProjectConfig project, ExitCode code, String error, Progress progress) {
        NotifySettings notify = project.notifications();
        NotifySettings.Hook hook = notify == null ? null : switch (code) {
            case OK -> notify.onSuccess();
            case DRIFT -> notify.onWarning();
            default -> notify.onFailure();
        };
        if (hook == null) {
            return List.of();
        }
        BackupEvent event;
        if (code == ExitCode.DRIFT) {
            ExportResult export = progress.export;
            event = BackupEvent.warning(project.name(), export.archive().location(), "backup of " + project.name()
                    + " written (" + export.archive().name() + "), but rows dropped sharply since the previous backup: "
                    + String.join("; ", progress.drift.stream().map(TableDrift::describe).toList()));
        } else if (code == ExitCode.OK) {
            ExportResult export = progress.export;
            event = BackupEvent.success(project.name(), export.archive().location(), "backup of " + project.name()
                    + " ok: " + export.archive().name() + (progress.verified ? " (verified)" : "") + ", "
                    + progress.removed.size() + " old archive(s) removed");
        } else {
            event = BackupEvent.failure(project.name(), code, "backup of " + project.name() + " failed: " + error);
        }
        List<String> failures;
        try {
            failures = notifier.notify(new NotifyTarget(hook.command(), hook.url(), hook.timeout()), event).failures();
        } catch (IllegalArgumentException e) {
            failures = List.of("notification not sent: " + e.getMessage());
        }
        failures.forEach(f -> reporter.warn(f + " (the backup's own result is unaffected)"));
        return failures;
    }

}
