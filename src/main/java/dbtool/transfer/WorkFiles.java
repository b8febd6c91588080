package dbtool.transfer;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.StandardOpenOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * Temporary files and directories of one run, removed when the run ends however it ends: normally,
 * with an exception, or by Ctrl-C / SIGTERM (a shutdown hook). Only kill -9 can leave them; their
 * names start with "." and end in ".partial" or ".work" (".body": older versions) so the next backup run recognises and removes them.
 */
public final class WorkFiles implements AutoCloseable {

    public static final String PREFIX = ".dbtool-";
    /** An import's unpack directory: {@code .dbtool-import-<archive file name>-<random>}. */
    public static final String IMPORT_PREFIX = PREFIX + "import-";
    /** Inside an import's directory; locked while the import runs (the kernel unlocks it when the process dies). */
    public static final String IN_USE_LOCK = ".in-use";

    private final List<Path> paths = new ArrayList<>();
    private final List<FileChannel> locks = new ArrayList<>();
    private final Thread hook = new Thread(this::deleteAll, "dbtool-cleanup");

    public WorkFiles() {
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * Creates an import's unpack directory next to the archive (or in {@code parent}) and locks it for this run: a
     * backup of the archive's project removes such directories left by a killed run, and skips one that is locked.
     */
    public Path createImportDir(Path parent, String archiveName) throws IOException {
        Files.createDirectories(parent);
        Path dir = track(Files.createTempDirectory(parent, IMPORT_PREFIX + archiveName + "-",
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"))));
        FileChannel channel = FileChannel.open(dir.resolve(IN_USE_LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        synchronized (this) {
            locks.add(channel);
        }
        channel.lock();
        return dir;
    }

    /** Whether a running import holds this directory (its lock is taken, by this or another process). */
    public static boolean inUse(Path importDir) {
        Path lock = importDir.resolve(IN_USE_LOCK);
        if (!Files.isRegularFile(lock, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.WRITE)) {
            FileLock taken = channel.tryLock();
            if (taken == null) {
                return true;
            }
            taken.release();
            return false;
        } catch (OverlappingFileLockException heldByThisProcess) {
            return true;
        } catch (IOException e) {
            return true; // when in doubt, leave it
        }
    }

    public synchronized Path track(Path path) {
        paths.add(path);
        return path;
    }

    /** The path no longer belongs to this run (it was renamed into its final place). */
    public synchronized void release(Path path) {
        paths.remove(path);
    }

    @Override
    public void close() {
        deleteAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook is running or ran; nothing left to do
        }
    }

    private synchronized void deleteAll() {
        for (Path path : paths) {
            deleteRecursively(path);
        }
        paths.clear();
        for (FileChannel lock : locks) {
            try {
                lock.close();
            } catch (IOException ignored) {
                // closing releases the lock; the file is gone with its directory
            }
        }
        locks.clear();
    }

    /** Best effort: a leftover is recognised by its name and removed by the next run. */
    public static void deleteRecursively(Path path) {
        try {
            deleteTree(path);
        } catch (IOException ignored) {
            // see above
        }
    }

    /**
     * Deletes a file or directory tree. walkFileTree does not follow symlinks, so a link inside
     * cannot lead the deletion outside it. Returns false when there was nothing to delete.
     */
    public static boolean deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
        return true;
    }
}
