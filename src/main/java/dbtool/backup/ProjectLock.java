package dbtool.backup;

import dbtool.DbToolException;
import dbtool.ExitCode;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Makes backups of one project mutually exclusive, across processes and within one JVM.
 *
 * <p>The exclusion is an OS lock ({@link FileChannel#tryLock()}) on {@code <dir>/<project>.lock}: the kernel drops
 * it when the holder dies, even by {@code kill -9}, so a stale lock is simply one nobody holds any more and is taken
 * over. The file's content (pid, host, start time) is only for the messages. The file is never deleted: deleting a
 * lock file lets two processes lock two different inodes of the same name.
 *
 * <p>Caution: Java's file locks are POSIX record locks, which the kernel releases when the holding process closes
 * <em>any</em> descriptor of the file. So while a lock is held nothing else in this JVM may open the lock file, not
 * even to read it.
 */
public final class ProjectLock implements RunLock {
    /**
     * The lock files held by this JVM. This is process-wide state on purpose: a second acquire in this JVM must not
     * open the file (see the class comment), so it has to learn from somewhere else that the lock is held.
     */
    private static final Map<Path, Holder> HELD_IN_THIS_JVM = new ConcurrentHashMap<>();

    /** Who holds (or held) a lock, as written into the lock file. Any part may be unknown (null or -1). */
    public record Holder(long pid, String host, Instant startedAt) {
        public String describe() {
            return "pid " + (pid < 0 ? "unknown" : Long.toString(pid))
                    + (host == null ? "" : " on " + host)
                    + (startedAt == null ? "" : ", started " + startedAt);
        }

        String toFileContent() {
            return "pid=" + pid + "\nhost=" + host + "\nstarted=" + startedAt + "\n";
        }

        static Optional<Holder> parse(String content) {
            long pid = -1;
            String host = null;
            Instant started = null;
            for (String line : content.split("\n")) {
                int eq = line.indexOf('=');
                if (eq < 0) {
                    continue;
                }
                String key = line.substring(0, eq).trim();
                String value = line.substring(eq + 1).trim();
                try {
                    switch (key) {
                        case "pid" -> pid = Long.parseLong(value);
                        case "host" -> host = value;
                        case "started" -> started = Instant.parse(value);
                        default -> { }
                    }
                } catch (NumberFormatException | DateTimeParseException ignored) {
                    // A garbled line only makes the message less precise.
                }
            }
            return pid < 0 && host == null && started == null
                    ? Optional.empty() : Optional.of(new Holder(pid, host, started));
        }
    }

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final Holder holder;
    private final Holder staleHolder;
    /**
     * Empties the file on Ctrl-C / SIGTERM, so that only a holder that died without running hooks (kill -9, a
     * crash) leaves its content for the next run to report as a takeover. It does not release the lock: the run
     * may still be winding down, and the kernel releases the lock when the process exits.
     */
    private final Thread emptyOnShutdown = new Thread(this::empty, "dbtool-lock-release");

    private ProjectLock(Path file, FileChannel channel, FileLock lock, Holder holder, Holder staleHolder) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.holder = holder;
        this.staleHolder = staleHolder;
        Runtime.getRuntime().addShutdownHook(emptyOnShutdown);
    }

    public static Path lockFile(Path dir, String project) {
        return dir.resolve(BackupDirectory.requireValidProject(project) + ".lock");
    }

    /**
     * Takes the lock at once or fails.
     *
     * @throws DbToolException {@link ExitCode#LOCKED} naming the holder's pid and the lock file if it is held,
     *                         {@link ExitCode#RUNTIME} if the lock file cannot be created
     */
    public static ProjectLock acquire(Path dir, String project) {
        Path file;
        try {
            Files.createDirectories(dir);
            file = lockFile(dir.toRealPath(), project);
        } catch (IOException e) {
            throw DbToolException.runtime("cannot create backup directory " + dir + ": " + e.getMessage(), e);
        }
        Holder me = new Holder(ProcessHandle.current().pid(), hostName(), Instant.now().truncatedTo(ChronoUnit.SECONDS));
        Holder inThisJvm = HELD_IN_THIS_JVM.putIfAbsent(file, me);
        if (inThisJvm != null) {
            throw held(project, file, Optional.of(inThisJvm));
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock = tryLock(channel);
            if (lock == null) {
                channel.close();
                channel = null;
                throw held(project, file, readHolder(file));
            }
            // Released holders empty the file, so content here means the previous holder died holding the lock.
            Holder stale = readAll(channel).flatMap(Holder::parse).orElse(null);
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(me.toFileContent().getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(false);
            return new ProjectLock(file, channel, lock, me, stale);
        } catch (IOException e) {
            closeQuietly(channel);
            HELD_IN_THIS_JVM.remove(file, me);
            throw DbToolException.runtime("cannot lock " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            HELD_IN_THIS_JVM.remove(file, me);
            throw e;
        }
    }

    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            // Locked through another channel of this JVM that did not come from acquire(): still held.
            return null;
        }
    }

    private static DbToolException held(String project, Path file, Optional<Holder> holder) {
        return new DbToolException(ExitCode.LOCKED, "another backup of project '" + project + "' is running ("
                + holder.map(Holder::describe).orElse("holder unknown") + "); lock file " + file
                + ". Wait for it to finish; if that process is gone, the lock is released automatically.");
    }

    private static Optional<Holder> readHolder(Path file) {
        try {
            return Holder.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> readAll(FileChannel channel) throws IOException {
        long size = channel.size();
        if (size == 0 || size > 4096) {
            return Optional.empty();
        }
        ByteBuffer buffer = ByteBuffer.allocate((int) size);
        while (buffer.hasRemaining() && channel.read(buffer, buffer.position()) >= 0) {
            // read until full or EOF
        }
        return Optional.of(new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8));
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return System.getenv().getOrDefault("HOSTNAME", "unknown");
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Nothing useful to do: the lock (if any) goes with the descriptor.
            }
        }
    }

    public Path file() {
        return file;
    }

    public Holder holder() {
        return holder;
    }

    /** The holder of a lock that was left behind by a process that died, if this acquire took one over. */
    @Override
    public Optional<Holder> takenOverFrom() {
        return Optional.ofNullable(staleHolder);
    }

    /** Empties the file (so the next holder sees a clean release), then releases the lock. Idempotent. */
    @Override
    public void close() {
        if (!channel.isOpen()) {
            return;
        }
        try {
            empty();
        } finally {
            closeQuietly(channel);
            HELD_IN_THIS_JVM.remove(file, holder);
            try {
                Runtime.getRuntime().removeShutdownHook(emptyOnShutdown);
            } catch (IllegalStateException alreadyShuttingDown) {
                // the hook is running or ran; the file is empty either way
            }
        }
    }

    /** Through the lock's own channel: opening the file again would release the lock (see the class comment). */
    private void empty() {
        try {
            if (channel.isOpen() && lock.isValid()) {
                channel.truncate(0);
                channel.force(false);
            }
        } catch (IOException ignored) {
            // Stale content only makes the next holder report a takeover; the lock itself is still released.
        }
    }
}
