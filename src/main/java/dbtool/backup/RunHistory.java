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
 * how long a run took). Lines are only ever appended, by a run holding the project's lock; a torn last line (a run
 * killed while writing it) is skipped when reading. The archives stay the truth about what exists: an entry whose
 * archive was pruned simply no longer matches one.
 */
public final class RunHistory {
    public static final String SUFFIX = ".history.jsonl";

    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** On local disk; null in a bucket, where {@link #store} holds the object {@link #name}. */
    private final Path file;
    private final ArchiveStore store;
    private final String name;

    public RunHistory(Path dir, String project) {
        this.name = BackupDirectory.requireValidProject(project) + SUFFIX;
        this.file = dir.resolve(name);
        this.store = null;
    }

    private RunHistory(ArchiveStore store, String project) {
        this.name = BackupDirectory.requireValidProject(project) + SUFFIX;
        this.file = null;
        this.store = store;
    }

    public static RunHistory of(BackupDirectory backups) {
        return backups.store().localDirectory().map(dir -> new RunHistory(dir, backups.project()))
                .orElseGet(() -> new RunHistory(backups.store(), backups.project()));
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
            if (line.isBlank()) {
                continue;
            }
            try {
                Entry entry = JSON.readValue(line, Entry.class);
                entry.finished(); // a garbled time is as unusable as a torn line
                entries.add(entry);
            } catch (JsonProcessingException | java.time.format.DateTimeParseException | NullPointerException e) {
                // A line torn by a kill during the write: the archives still say what exists.
            }
        }
        return List.copyOf(entries);
    }

    /** Appends one line and forces it to disk. The caller holds the project's lock. */
    public void append(Entry entry) {
        try {
            String text = JSON.writeValueAsString(entry) + "\n";
            if (file == null) {
                // An object cannot be appended to: rewritten whole, under the project's lock like every append.
                store.writeText(name, store.readText(name).orElse("") + text);
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
        } catch (IOException e) {
            throw DbToolException.runtime("cannot write backup history " + location() + ": " + e.getMessage(), e);
        }
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
