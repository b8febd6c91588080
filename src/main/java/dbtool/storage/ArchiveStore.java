package dbtool.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A flat place that holds archives and their small companions (sidecar, marker, lock): a directory on local disk or
 * a prefix in an S3 bucket. Names are single file names, never paths. Like restic's backend: save, load, list,
 * remove, and nothing a store cannot do atomically.
 *
 * <p>Failures of the store itself (wrong credentials, missing bucket, unreachable endpoint) are thrown as
 * {@link dbtool.DbToolException} with their exit code; {@link IOException} is local I/O.
 */
public interface ArchiveStore extends AutoCloseable {

    /** Where the store is: an absolute directory or {@code s3://bucket/prefix}. */
    String location();

    /** Where one object is, as printed and as {@code import} accepts it. */
    String locationOf(String name);

    /** Starts writing {@code name}; see {@link Upload}. */
    Upload create(String name) throws IOException;

    /** Streams an object from its start. @throws NoSuchFileException when it does not exist */
    InputStream open(String name) throws IOException;

    /** {@code length} bytes of an object from {@code position}. @throws NoSuchFileException when it does not exist */
    byte[] read(String name, long position, int length) throws IOException;

    /** An object's size. @throws NoSuchFileException when it does not exist */
    long size(String name) throws IOException;

    boolean exists(String name) throws IOException;

    /** A small text object (sidecar, marker, lock), or empty when it does not exist. */
    Optional<String> readText(String name) throws IOException;

    /** Writes a small text object in one piece, replacing one that exists; readers never see half of it. */
    void writeText(String name, String content) throws IOException;

    /** Writes a small text object only if none exists under that name (S3: If-None-Match: *); false if one does. */
    boolean createText(String name, String content) throws IOException;

    /** Deletes an object if it exists. */
    void delete(String name) throws IOException;

    /** Everything directly in the store, in no particular order. */
    List<StoredObject> list() throws IOException;

    /**
     * Names of uploads that were started but neither completed nor aborted (an S3 multipart upload of a killed
     * run). Local disk has none: its unfinished files are ordinary {@code .partial} files in {@link #list()}.
     */
    List<String> unfinishedUploads() throws IOException;

    /** Aborts the unfinished uploads of {@code name}, removing their parts. */
    void abortUploads(String name) throws IOException;

    /** The directory, when the store is on local disk (OS file locks, work directories). */
    Optional<Path> localDirectory();

    @Override
    void close();
}
