package dbtool.transfer;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The disk of an import's work directory: its free space, asked before the import writes what it could do without
 * (a spilled entry), and the spill files themselves. Tests give an import a small or failing one in its place.
 */
interface WorkDisk {

    long MAX_RESERVE = 256L << 20;

    /** The disk under {@code dir}: one statfs per question. */
    WorkDisk REAL = dir -> dir.toFile().getUsableSpace();

    /** Bytes a file in {@code dir} may still take; 0 when that cannot be told (nothing optional is written then). */
    long usableSpace(Path dir);

    /**
     * Free room a spill must leave on the disk of {@code dir}: for everyone else writing to that disk meanwhile (a
     * PostgreSQL server or its WAL on the same disk, logs). 2% of the disk, at most {@link #MAX_RESERVE}: a fixed
     * 256 MiB would be half of a small container's disk, and beyond it more would be room lost to the import.
     */
    default long reserve(Path dir) {
        return Math.min(MAX_RESERVE, dir.toFile().getTotalSpace() / 50);
    }

    /** A new spill file. */
    default OutputStream create(Path file) throws IOException {
        return Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }
}
