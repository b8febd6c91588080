package dbtool.backup;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.archive.ArchiveName;
import dbtool.storage.ArchiveStore;
import dbtool.config.ProjectConfig;
import dbtool.storage.LocalStore;
import dbtool.storage.S3Location;
import dbtool.storage.Stores;
import dbtool.storage.StoredObject;
import dbtool.transfer.WorkFiles;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The archives of one project in a backup directory, which may be shared with other projects and other files.
 *
 * <p>Only names this tool writes are ever looked at: {@code <project>-<yyyyMMdd'T'HHmmss'Z'>.<ext>} plus its
 * {@code .sha256} sidecar and {@code .verified} marker, and the temporary forms of those names (a leading
 * {@code .} and/or a trailing {@code .tmp}/{@code .partial}/{@code .body}), plus the exporter's work directory
 * {@code .<archive>.work/}, and an import's unpack directory {@code .dbtool-import-<archive>-<n>/} unless a running
 * import holds its lock. Everything else is invisible here, so nothing here can delete it.
 *
 * <p>An archive counts only once its sidecar exists: the writer renames the archive into place first and writes
 * the sidecar last, so a sidecar is the proof that the run finished.
 *
 * <p>Listing leftovers and deleting must happen while holding the project's {@link ProjectLock}: without it a
 * running backup's half-written files look exactly like the leftovers of a killed one.
 */
public final class BackupDirectory {
    public static final String SIDECAR_SUFFIX = ".sha256";
    public static final String VERIFIED_SUFFIX = ".verified";
    /** Archive extensions, one per codec, each also age-encrypted. */
    public static final Set<String> EXTENSIONS =
            Set.of("tar.gz", "tar.zst", "tar", "tar.gz.age", "tar.zst.age", "tar.age");

    // STRICT + 'uuuu' so that 20250230T... is rejected instead of silently becoming March 2nd.
    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withResolverStyle(ResolverStyle.STRICT);
    private static final String EXT_REGEX = "(?:tar\\.gz|tar\\.zst|tar)(?:\\.age)?";
    private static final String PROJECT_REGEX = "[A-Za-z0-9][A-Za-z0-9._-]*";

    /** Newest first; equal stamps (two codecs in one second) are ordered by name so the order is stable. */
    static final Comparator<BackupFile> NEWEST_FIRST = Comparator.comparing(BackupFile::createdAt)
            .thenComparing(BackupFile::fileName)
            .reversed();

    private final ArchiveStore store;
    private final String project;
    private final Pattern archiveName;
    private final Pattern anyOwnName;
    /** The exporter's scratch directory (pg_dump's output before packing): always a leftover once no run holds the lock. */
    private final Pattern workDirName;
    /** What a killed import or backup --verify of one of this project's archives left: the unpacked dump. */
    private final Pattern importDirName;

    /** A local backup directory. */
    public BackupDirectory(Path dir, String project) {
        this(new LocalStore(dir), project);
    }

    /**
     * A project's {@code backup.dir}, opened: a local directory or a bucket prefix (with the project's storage
     * settings). Everything that reads or writes backups (backup, list, prune, drift, metrics, report) opens them here,
     * so local disk and buckets share one code path. The caller closes {@link #store()}.
     */
    public static BackupDirectory open(Stores stores, ProjectConfig project) {
        String location = project.backup().location();
        ArchiveStore store = stores.with(project.storage()).directory(S3Location.isS3(location) ? location
                : Path.of(location).toAbsolutePath().normalize().toString());
        return new BackupDirectory(store, project.name());
    }

    /** A local directory or a bucket prefix; the caller closes the store. */
    public BackupDirectory(ArchiveStore store, String project) {
        this.store = store;
        this.project = requireValidProject(project);
        // Groups: 1 the archive's name, 2 its stamp, 3 ".snapshot" or null.
        String core = ArchiveName.coreRegex(Pattern.quote(project), EXT_REGEX);
        this.archiveName = Pattern.compile(core);
        this.anyOwnName = Pattern.compile("(\\.)?" + core + "(\\.sha256|\\.verified)?(\\.tmp|\\.partial|\\.body)?");
        this.workDirName = Pattern.compile("\\." + core + "\\.work");
        this.importDirName = Pattern.compile(Pattern.quote(WorkFiles.IMPORT_PREFIX) + core + "-\\d+");
    }

    /** Rejects names that could escape the directory or make file names ambiguous. */
    static String requireValidProject(String project) {
        if (project == null || !project.matches(PROJECT_REGEX)) {
            throw new DbToolException(ExitCode.USAGE, "project name '" + project
                    + "' cannot be used in a backup file name: use letters, digits, '.', '_' or '-'"
                    + " and start with a letter or digit");
        }
        return project;
    }

    public ArchiveStore store() {
        return store;
    }

    /** The directory or s3://bucket/prefix, for messages. */
    public String location() {
        return store.location();
    }

    /**
     * Creates the directory if needed and checks that it is writable. A directory that cannot be used is a config
     * problem (exit 2), like an unwritable --output of export, so the message names the setting to change. A bucket
     * was already checked when its store was opened.
     *
     * @param config the config file that sets backup.dir, for the message
     */
    public void create(String config) {
        Path dir = store.localDirectory().orElse(null);
        if (dir == null) {
            return;
        }
        String fix = "; fix its permissions or set backup.dir in " + config;
        try {
            Files.createDirectories(dir);
        } catch (AccessDeniedException e) {
            throw DbToolException.usage("cannot create backup directory " + dir + ": permission denied on " + e.getFile() + fix);
        } catch (FileAlreadyExistsException e) {
            throw DbToolException.usage("cannot create backup directory " + dir + ": " + e.getFile() + " is not a directory" + fix);
        } catch (IOException e) {
            throw DbToolException.usage("cannot create backup directory " + dir + ": " + e.getMessage() + fix);
        }
        if (!Files.isWritable(dir)) {
            throw DbToolException.usage("backup directory " + dir + " is not writable" + fix);
        }
    }

    public String project() {
        return project;
    }

    /** The final name of an archive created at {@code createdAt}; sub-second precision is dropped. */
    public String archiveName(Instant createdAt, String extension) {
        if (!EXTENSIONS.contains(extension)) {
            throw new IllegalArgumentException("unknown archive extension " + extension + ", expected one of " + EXTENSIONS);
        }
        return project + "-" + formatStamp(createdAt) + "." + extension;
    }

    /**
     * The name to write {@code finalName} under before renaming it into place. Writers should use this so that
     * {@link #leftovers()} recognises what an interrupted run leaves behind.
     */
    public static String temporaryName(String finalName) {
        return "." + finalName + ".partial";
    }

    public static String formatStamp(Instant instant) {
        return STAMP.format(LocalDateTime.ofInstant(instant.truncatedTo(ChronoUnit.SECONDS), ZoneOffset.UTC));
    }

    /** Parses {@code yyyyMMdd'T'HHmmss'Z'} as UTC; throws {@link DateTimeParseException} if it is not one. */
    public static Instant parseStamp(String stamp) {
        return LocalDateTime.parse(stamp, STAMP).toInstant(ZoneOffset.UTC);
    }

    private static Optional<Instant> tryParseStamp(String stamp) {
        try {
            return Optional.of(parseStamp(stamp));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** What an interrupted run left: a file, the exporter's work directory (local disk), or an unfinished upload (S3). */
    public record Leftover(String name, String location, Kind kind) {
        public enum Kind { FILE, WORK_DIRECTORY, UPLOAD }
    }

    /** Complete archives of this project, newest first. */
    public List<BackupFile> archives() {
        Map<String, StoredObject> files = files();
        List<BackupFile> result = new ArrayList<>();
        for (StoredObject file : files.values()) {
            Matcher m = archiveName.matcher(file.name());
            if (!m.matches()) {
                continue;
            }
            Optional<Instant> createdAt = tryParseStamp(m.group(2));
            if (createdAt.isEmpty() || !files.containsKey(m.group(1) + SIDECAR_SUFFIX)) {
                continue;
            }
            boolean verified = files.containsKey(m.group(1) + VERIFIED_SUFFIX);
            result.add(new BackupFile(store.locationOf(file.name()), project, createdAt.get(), file.size(), verified,
                    m.group(3) != null));
        }
        result.sort(NEWEST_FIRST);
        return List.copyOf(result);
    }

    /**
     * What interrupted runs of this project left: temporary names, archives without a sidecar, sidecars or markers
     * whose archive is gone or incomplete, {@code .<archive>.work} directories and unfinished uploads. Sorted by name.
     */
    public List<Leftover> leftovers() {
        List<StoredObject> all = list();
        Map<String, StoredObject> files = new HashMap<>();
        all.stream().filter(o -> !o.directory()).forEach(o -> files.put(o.name(), o));
        List<Leftover> result = new ArrayList<>();
        for (StoredObject file : files.values()) {
            Matcher m = anyOwnName.matcher(file.name());
            if (!m.matches() || tryParseStamp(m.group(3)).isEmpty()) {
                continue;
            }
            // Groups: 1 leading ".", 2 the archive's name, 3 its stamp, 4 ".snapshot", 5 suffix, 6 temporary suffix.
            boolean temporary = m.group(1) != null || m.group(6) != null;
            boolean archiveComplete = files.containsKey(m.group(2)) && files.containsKey(m.group(2) + SIDECAR_SUFFIX);
            if (temporary || !archiveComplete) {
                result.add(new Leftover(file.name(), store.locationOf(file.name()), Leftover.Kind.FILE));
            }
        }
        for (StoredObject dir : all) {
            Matcher m = workDirName.matcher(dir.name());
            if (dir.directory() && m.matches() && tryParseStamp(m.group(2)).isPresent()) {
                result.add(new Leftover(dir.name(), store.locationOf(dir.name()), Leftover.Kind.WORK_DIRECTORY));
            }
            Matcher i = importDirName.matcher(dir.name());
            if (dir.directory() && i.matches() && tryParseStamp(i.group(2)).isPresent() && !importInUse(dir.name())) {
                result.add(new Leftover(dir.name(), store.locationOf(dir.name()), Leftover.Kind.WORK_DIRECTORY));
            }
        }
        for (String upload : unfinishedUploads()) {
            Matcher m = archiveName.matcher(upload);
            if (m.matches() && tryParseStamp(m.group(2)).isPresent()) {
                result.add(new Leftover(upload, store.locationOf(upload) + " (unfinished upload)", Leftover.Kind.UPLOAD));
            }
        }
        result.sort(Comparator.comparing(Leftover::name));
        return List.copyOf(result);
    }

    /** Deletes {@link #leftovers()} (aborts unfinished uploads, with their parts) and returns what was removed. */
    public List<Leftover> cleanLeftovers() {
        return cleanLeftovers(failure -> { });
    }

    /**
     * Deletes {@link #leftovers()} (aborts unfinished uploads, with their parts) and returns what was removed. One
     * that cannot be removed does not stop the run: it is told to {@code failures} ("what: reason") and stays, so
     * {@code backups list} shows it.
     */
    public List<Leftover> cleanLeftovers(Consumer<String> failures) {
        List<Leftover> deleted = new ArrayList<>();
        for (Leftover leftover : leftovers()) {
            try {
                boolean removed = switch (leftover.kind()) {
                    case WORK_DIRECTORY -> deleteTree(store.localDirectory().orElseThrow().resolve(leftover.name()));
                    case UPLOAD -> io("abort the upload of " + leftover.location(), () -> store.abortUploads(leftover.name()));
                    case FILE -> io("delete " + leftover.location(), () -> store.delete(leftover.name()));
                };
                if (removed) {
                    deleted.add(leftover);
                }
            } catch (DbToolException e) {
                failures.accept(e.getMessage());
            }
        }
        return List.copyOf(deleted);
    }

    /**
     * Deletes only the temporary files and work directories of interrupted runs ({@code .<archive>.body},
     * {@code .<archive>.work/}, ...): for a shared temporary directory, where an upload to a bucket was staged and
     * where other files that merely look like archives must never be touched.
     */
    public List<Leftover> cleanWorkFiles() {
        List<Leftover> deleted = new ArrayList<>();
        for (Leftover leftover : leftovers()) {
            if (!leftover.name().startsWith(".") || leftover.kind() == Leftover.Kind.UPLOAD) {
                continue;
            }
            boolean removed = leftover.kind() == Leftover.Kind.WORK_DIRECTORY
                    ? deleteTree(store.localDirectory().orElseThrow().resolve(leftover.name()))
                    : io("delete " + leftover.location(), () -> store.delete(leftover.name()));
            if (removed) {
                deleted.add(leftover);
            }
        }
        return List.copyOf(deleted);
    }

    /**
     * Deletes an archive with its sidecar and marker. The sidecar goes first so that an interruption can only
     * leave an archive that no longer counts (a leftover), never a counted archive with missing parts.
     */
    public void delete(BackupFile backup) {
        if (!backup.path().equals(store.locationOf(backup.fileName())) || !backup.project().equals(project)
                || !archiveName.matcher(backup.fileName()).matches()) {
            throw new IllegalArgumentException(backup.path() + " is not an archive of project " + project + " in "
                    + store.location());
        }
        io("delete " + backup.path(), () -> store.delete(backup.sidecarName()));
        io("delete " + backup.path(), () -> store.delete(backup.verifiedMarkerName()));
        io("delete " + backup.path(), () -> store.delete(backup.fileName()));
    }

    private Map<String, StoredObject> files() {
        Map<String, StoredObject> files = new HashMap<>();
        list().stream().filter(o -> !o.directory()).forEach(o -> files.put(o.name(), o));
        return files;
    }

    private List<StoredObject> list() {
        try {
            return store.list();
        } catch (IOException e) {
            throw DbToolException.runtime("cannot list backup directory " + store.location() + ": " + e.getMessage(), e);
        }
    }

    /** Whether a running import holds the lock of its unpack directory (only local directories have them). */
    private boolean importInUse(String name) {
        return store.localDirectory().map(dir -> WorkFiles.inUse(dir.resolve(name))).orElse(false);
    }

    private List<String> unfinishedUploads() {
        try {
            return store.unfinishedUploads();
        } catch (IOException e) {
            throw DbToolException.runtime("cannot list unfinished uploads in " + store.location() + ": " + e.getMessage(), e);
        }
    }

    private interface StoreAction {
        void run() throws IOException;
    }

    private static boolean io(String what, StoreAction action) {
        try {
            action.run();
            return true;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw DbToolException.runtime("cannot " + what + ": " + e.getMessage(), e);
        }
    }

    /** Deletes a work directory and what pg_dump wrote into it. */
    private static boolean deleteTree(Path root) {
        try {
            return WorkFiles.deleteTree(root);
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw DbToolException.runtime("cannot delete " + root + ": " + e.getMessage(), e);
        }
    }
}
