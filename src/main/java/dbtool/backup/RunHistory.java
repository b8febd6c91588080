package dbtool.backup;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dbtool.DbToolException;
import dbtool.archive.ArchiveReader;
import dbtool.crypto.Decryptor;
import dbtool.storage.ArchiveStore;
import dbtool.storage.StoredArchive;
import dbtool.archive.Manifest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One line per backup run of a project, success or failure, in {@code <dir>/<project>.history.jsonl} beside the
 * lock file: what drift alerts, metrics and the report need and the archives alone cannot tell (failed runs, drift,
 * how long a run took). Lines are appended by a run holding the project's lock; a torn last line (a run killed while
 * writing it) is skipped when reading. The archives stay the truth about what exists: an entry whose archive was pruned
 * simply no longer matches one.
 *
 * <p>Bounded: once it holds {@link #MAX_RUNS} + {@link #SLACK} runs, it is rewritten (a new file renamed over the old
 * one, so a crash leaves one or the other whole) with the newest {@link #MAX_RUNS} runs, and older runs only where their
 * archive still exists: what its readers need (the rows and drift of every archive kept, the last run, failed runs in
 * the report's window) stays; what only pruned archives or runs long past would use goes.
 */
public final class RunHistory {
    public static final String SUFFIX = ".history.jsonl";
    /** Runs kept besides those of archives that still exist: more than a month of hourly backups, years of daily ones. */
    static final int MAX_RUNS = 1000;
    /** Runs past {@link #MAX_RUNS} before the file is rewritten: a rewrite every 100 runs, not every run. */
    static final int SLACK = MAX_RUNS / 10;

    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** On local disk; null in a bucket. Either way {@link #store} holds {@link #name}. */
    private final Path file;
    private final BackupDirectory backups;
    private final ArchiveStore store;
    private final String name;

    public RunHistory(Path dir, String project) {
        this(new BackupDirectory(dir, project), dir);
    }

    private RunHistory(BackupDirectory backups, Path dir) {
        this.name = backups.project() + SUFFIX;
        this.file = dir == null ? null : dir.resolve(name);
        this.backups = backups;
        this.store = backups.store();
    }

    public static RunHistory of(BackupDirectory backups) {
        return new RunHistory(backups, backups.store().localDirectory().orElse(null));
    }

    /** The local file; null for a history kept in a bucket. */
    public Path file() {
        return file;
    }

    private String location() {
        return file != null ? file.toString() : store.locationOf(name);
    }

    /**
     * One run.
     *
     * @param finishedAt when the run ended, ISO-8601 UTC
     * @param archive the archive's file name, or null when none was written
     * @param drift tables whose rows dropped sharply since the previous backup
     * @param tables rows per table ({@code schema.name}) of the archive written, empty for a failure
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Entry(
            @JsonProperty("finished_at") String finishedAt,
            @JsonProperty("exit_code") int exitCode,
            @JsonProperty("error") String error,
            @JsonProperty("archive") String archive,
            @JsonProperty("size_bytes") long sizeBytes,
            @JsonProperty("rows") long rows,
            @JsonProperty("verified") boolean verified,
            @JsonProperty("duration_ms") long durationMs,
            @JsonProperty("drift") List<TableDrift> drift,
            @JsonProperty("tables") Map<String, Long> tables) {
        public Entry {
            drift = drift == null ? List.of() : List.copyOf(drift);
            tables = tables == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tables));
        }

        public Entry(Instant finishedAt, int exitCode, String error, String archive, long sizeBytes, long rows,
                boolean verified, long durationMs, List<TableDrift> drift, Map<String, Long> tables) {
            this(finishedAt.toString(), exitCode, error, archive, sizeBytes, rows, verified, durationMs, drift, tables);
        }

        public Instant finished() {
            return Instant.parse(finishedAt);
        }

        /** A run that wrote an archive (exit 0, or 7 for a drift). */
        public boolean wroteArchive() {
            return archive != null && (exitCode == 0 || exitCode == 7);
        }
    }

    /** Every readable entry, oldest first. */
    public List<Entry> entries() {
        List<String> lines;
        try {
            lines = file != null ? Files.readAllLines(file, StandardCharsets.UTF_8)
                    : store.readText(name).map(text -> text.lines().toList()).orElse(List.of());
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw DbToolException.runtime("cannot read backup history " + location() + ": " + e.getMessage(), e);
        }
        List<Entry> entries = new ArrayList<>();
        for (String line : lines) {
            parse(line).ifPresent(entries::add);
        }
        return List.copyOf(entries);
    }

    /** The run on that line; empty for a blank or unreadable one. */
    private static Optional<Entry> parse(String line) {
        if (line.isBlank()) {
            return Optional.empty();
        }
        try {
            Entry entry = JSON.readValue(line, Entry.class);
            entry.finished(); // a garbled time is as unusable as a torn line
            return Optional.of(entry);
        } catch (JsonProcessingException | java.time.format.DateTimeParseException | NullPointerException e) {
            // A line torn by a kill during the write: the archives still say what exists.
            return Optional.empty();
        }
    }

    /** Appends one line and forces it to disk, trimming the history when it is due. The caller holds the project's lock. */
    public void append(Entry entry) {
        try {
            String text = JSON.writeValueAsString(entry) + "\n";
            if (file == null) {
                // An object cannot be appended to: rewritten whole, under the project's lock like every append.
                List<String> lines = new ArrayList<>(store.readText(name).map(t -> t.lines().toList()).orElse(List.of()));
                lines.add(text.strip());
                store.writeText(name, lines.size() > MAX_RUNS + SLACK ? join(trimmed(lines, archiveNames()))
                        : join(lines));
                return;
            }
            byte[] line = text.getBytes(StandardCharsets.UTF_8);
            boolean exists = Files.exists(file, LinkOption.NOFOLLOW_LINKS);
            try (FileChannel ch = exists
                    ? FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)
                    : FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                            StandardOpenOption.APPEND),
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                ByteBuffer buffer = ByteBuffer.wrap(line);
                while (buffer.hasRemaining()) {
                    ch.write(buffer);
                }
                ch.force(true);
            }
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.size() > MAX_RUNS + SLACK) {
                store.writeText(name, join(trimmed(lines, archiveNames()))); // a new file renamed over this one
            }
        } catch (IOException e) {
            throw DbToolException.runtime("cannot write backup history " + location() + ": " + e.getMessage(), e);
        }
    }

    private Set<String> archiveNames() {
        Set<String> names = new java.util.HashSet<>();
        backups.archives().forEach(a -> names.add(a.fileName()));
        return names;
    }

    private static String join(List<String> lines) {
        return lines.isEmpty() ? "" : String.join("\n", lines) + "\n";
    }

    /**
     * The lines a trimmed history keeps, as they were: the newest {@link #MAX_RUNS} runs, and older runs whose archive is
     * one of {@code archives} (file names). Unreadable lines (torn by a kill) go.
     */
    static List<String> trimmed(List<String> lines, Set<String> archives) {
        List<String> readable = new ArrayList<>();
        List<Entry> entries = new ArrayList<>();
        for (String line : lines) {
            parse(line).ifPresent(e -> {
                readable.add(line);
                entries.add(e);
            });
        }
        List<String> kept = new ArrayList<>();
        int newest = Math.max(0, readable.size() - MAX_RUNS);
        for (int i = 0; i < readable.size(); i++) {
            if (i >= newest || archives.contains(entries.get(i).archive())) {
                kept.add(readable.get(i));
            }
        }
        return kept;
    }

    /** Rows per table of a manifest, the form history entries keep them in. */
    public static Map<String, Long> rowsByTable(Manifest manifest) {
        Map<String, Long> rows = new LinkedHashMap<>();
        for (Manifest.Table t : manifest.tables()) {
            if (t.validated()) {
                rows.put(t.qualifiedName(), t.rows());
            }
        }
        return rows;
    }

    /**
     * Rows per table of an archive: from its history entry, else from its manifest (archives written before the
     * history existed, migrate's safety snapshots), read through the store like any archive (on S3 a GET of the
     * archive's first entry only); empty when neither can be read (an encrypted archive without its entry).
     *
     * @param archive one of {@code backups}' archives
     * @param entries this history's entries, read once by the caller
     */
    public static Optional<Map<String, Long>> tablesOf(BackupDirectory backups, BackupFile archive,
            List<Entry> entries) {
        for (int i = entries.size() - 1; i >= 0; i--) {
            Entry e = entries.get(i);
            if (archive.fileName().equals(e.archive()) && e.wroteArchive() && !e.tables().isEmpty()) {
                return Optional.of(e.tables());
            }
        }
        try {
            return Optional.of(rowsByTable(ArchiveReader.readManifest(
                    new StoredArchive(backups.store(), archive.fileName()), Decryptor.NONE)));
        } catch (DbToolException e) {
            return Optional.empty();
        }
    }

    /** The drift recorded for an archive, empty when none was (or it has no entry). */
    public static List<TableDrift> driftOf(BackupFile archive, List<Entry> entries) {
        for (int i = entries.size() - 1; i >= 0; i--) {
            Entry e = entries.get(i);
            if (archive.fileName().equals(e.archive()) && e.wroteArchive()) {
                return e.drift();
            }
        }
        return List.of();
    }
}
