package dbtool.storage;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;

/**
 * An object being written. Nothing is visible under its name until {@link #commit()} returns; closing an upload that
 * was not committed aborts it and leaves nothing behind (no file, no object, no parts).
 */
public interface Upload extends Closeable {

    /** Where the bytes go. Closing it does not commit. */
    OutputStream stream();

    /** Makes the object durable and visible under its name. */
    void commit() throws IOException;

    /** Aborts when not committed; idempotent. */
    @Override
    void close();
}
