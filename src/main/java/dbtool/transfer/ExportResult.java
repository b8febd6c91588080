package dbtool.transfer;

import dbtool.archive.Manifest;
import dbtool.storage.StoredArchive;

/**
 * A finished export: the archive (complete under its name, sidecar written) and what it holds. Closing it releases
 * the store the archive is in (an S3 client); the archive stays.
 *
 * @param sidecar the sidecar's location (a path or an s3:// URL)
 */
public record ExportResult(StoredArchive archive, String sidecar, String sha256, long sizeBytes, Manifest manifest,
        long millis) implements AutoCloseable {
    @Override
    public void close() {
        archive.store().close();
    }
}
