package dbtool.backup;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.archive.ArchiveName;
import dbtool.transfer.WorkFiles;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
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
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

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

    private final Path dir;
    private final String project;
    private final Pattern archiveName;
    private final Pattern anyOwnName;
    /** The exporter's scratch directory (pg_dump's output before packing): always a leftover once no run holds the lock. */
    private final Pattern workDirName;
    /** What a killed import or backup --verify of one of this project's archives left: the unpacked dump. */
    private final Pattern importDirName;

    public BackupDirectory(Path dir, String project) {
        this.dir = dir;
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

    public Path dir() {
        return dir;
    }

    /**
     * Creates the directory if needed and checks that it is writable. A directory that cannot be used is a config
     * problem (exit 2), like an unwritable --output of export, so the message names the setting to change.
     *
     * @param config the config file that sets backup.dir, for the message
     */
    public void create(String config) {
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

    /** Complete archives of this project, newest first. */
    public List<BackupFile> archives() {
        List<BackupFile> result = new ArrayList<>();
        for (Path file : regularFiles()) {
            Matcher m = archiveName.matcher(file.getFileName().toString());
            if (!m.matches()) {
                continue;
            }
            Optional<Instant> createdAt = tryParseStamp(m.group(2));
            Path sidecar = file.resolveSibling(m.group(1) + SIDECAR_SUFFIX);
            if (createdAt.isEmpty() || !isRegularFile(sidecar)) {
                continue;
            }
            boolean verified = isRegularFile(file.resolveSibling(m.group(1) + VERIFIED_SUFFIX));
            result.add(new BackupFile(file, project, createdAt.get(), size(file), verified, m.group(3) != null));
        }
        result.sort(NEWEST_FIRST);
        return List.copyOf(result);
    }

    /**
     * Files of this project left by interrupted runs: temporary names, archives without a sidecar,
     * sidecars or markers whose archive is gone or incomplete, and {@code .<archive>.work} directories. Sorted by name.
     */
    public List<Path> leftovers() {
        List<Path> result = new ArrayList<>();
        for (Path file : regularFiles()) {
            Matcher m = anyOwnName.matcher(file.getFileName().toString());
            if (!m.matches() || tryParseStamp(m.group(3)).isEmpty()) {
                continue;
            }
            boolean temporary = m.group(1) != null || m.group(6) != null;
            Path archive = file.resolveSibling(m.group(2));
            boolean archiveComplete = isRegularFile(archive)
                    && isRegularFile(archive.resolveSibling(m.group(2) + SIDECAR_SUFFIX));
            if (temporary || !archiveComplete) {
                result.add(file);
            }
        }
        for (Path workDir : workDirectories()) {
            result.add(workDir);
        }
        result.sort(Comparator.comparing(p -> p.getFileName().toString()));
        return List.copyOf(result);
    }

    /** Deletes {@link #leftovers()} and returns what was deleted, for the log. */
    public List<Path> cleanLeftovers() {
        return cleanLeftovers(failure -> { });
    }

    /**
     * Deletes {@link #leftovers()} and returns what was deleted. One that cannot be deleted does not stop the run:
     * it is told to {@code failures} ("path: reason") and stays, so {@code backups list} shows it.
     */
    public List<Path> cleanLeftovers(java.util.function.Consumer<String> failures) {
        List<Path> deleted = new ArrayList<>();
        for (Path leftover : leftovers()) {
            try {
                if (Files.isDirectory(leftover, LinkOption.NOFOLLOW_LINKS) ? deleteTree(leftover) : deleteIfExists(leftover)) {
                    deleted.add(leftover);
                }
            } catch (DbToolException e) {
                failures.accept(e.getMessage());
            }
        }
        return List.copyOf(deleted);
    }

    /**
     * Deletes an archive with its sidecar and marker. The sidecar goes first so that an interruption can only
     * leave an archive that no longer counts (a leftover), never a counted archive with missing parts.
     */
    public void delete(BackupFile backup) {
        Path parent = backup.path().toAbsolutePath().normalize().getParent();
        if (!parent.equals(dir.toAbsolutePath().normalize()) || !backup.project().equals(project)
                || !archiveName.matcher(backup.fileName()).matches()) {
            throw new IllegalArgumentException(backup.path() + " is not an archive of project " + project + " in " + dir);
        }
        deleteIfExists(backup.sidecar());
        deleteIfExists(backup.verifiedMarker());
        deleteIfExists(backup.path());
    }

    private List<Path> regularFiles() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            // NOFOLLOW_LINKS: a symlink is not something this tool wrote.
            return entries.filter(BackupDirectory::isRegularFile).toList();
        } catch (IOException e) {
            throw DbToolException.runtime("cannot list backup directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The exporter's {@code .<archive>.work} directories of this project (never through a symlink). */
    private List<Path> workDirectories() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
                    .filter(p -> {
                        Matcher m = workDirName.matcher(p.getFileName().toString());
                        Matcher i = importDirName.matcher(p.getFileName().toString());
                        return m.matches() && tryParseStamp(m.group(2)).isPresent()
                                || i.matches() && tryParseStamp(i.group(2)).isPresent() && !WorkFiles.inUse(p);
                    })
                    .toList();
        } catch (IOException e) {
            throw DbToolException.runtime("cannot list backup directory " + dir + ": " + e.getMessage(), e);
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

    private static boolean isRegularFile(Path p) {
        return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS);
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }

    private static boolean deleteIfExists(Path p) {
        try {
            return Files.deleteIfExists(p);
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw DbToolException.runtime("cannot delete " + p + ": " + e.getMessage(), e);
        }
    }
}
