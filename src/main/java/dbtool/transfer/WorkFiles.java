package dbtool.transfer;

import java.io.IOException;
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
 * names start with "." and end in ".partial", ".body" or ".work" so the next backup run recognises and removes them.
 */
public final class WorkFiles implements AutoCloseable {

    public static final String PREFIX = ".dbtool-";

    private final List<Path> paths = new ArrayList<>();
    private final Thread hook = new Thread(this::deleteAll, "dbtool-cleanup");

    public WorkFiles() {
        Runtime.getRuntime().addShutdownHook(hook);
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
