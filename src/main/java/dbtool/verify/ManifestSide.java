package dbtool.verify;

import dbtool.Reporter;
import dbtool.archive.ArchiveInput;
import dbtool.archive.ArchiveReader;
import dbtool.archive.Manifest;
import dbtool.verify.SideSnapshot.TableSnapshot;
import java.nio.file.Path;

/**
 * An archive's manifest as a side ({@code --archive FILE}): the exact row counts taken in the
 * snapshot the archive was dumped from. It holds no row contents, so it cannot be checksummed.
 */
public record ManifestSide(String label, Manifest manifest) implements ComparisonSide {

    /** Reads only the manifest (the archive's first entry), not the whole archive. */
    public static ManifestSide ofArchive(Path archive) {
        return ofArchive(archive, dbtool.crypto.Decryptor.NONE);
    }

    /** An encrypted archive's manifest, decrypted with {@code decryptor}. */
    public static ManifestSide ofArchive(Path archive, dbtool.crypto.Decryptor decryptor) {
        return new ManifestSide(archive.toString(), ArchiveReader.readManifest(archive, decryptor));
    }

    /** Reads only the manifest (the archive's first entry), wherever the archive is stored. */
    public static ManifestSide ofArchive(ArchiveInput archive, dbtool.crypto.Decryptor decryptor) {
        return new ManifestSide(archive.location(), ArchiveReader.readManifest(archive, decryptor));
    }

    @Override
    public boolean supportsChecksum() {
        return false;
    }

    @Override
    public SideSnapshot read(boolean checksum, Reporter reporter) {
        if (checksum) {
            throw new IllegalArgumentException("a manifest side has no checksums; check supportsChecksum() first");
        }
        return new SideSnapshot(label, manifest.tables().stream()
                .map(t -> new TableSnapshot(t.schema(), t.name(), t.kind(), t.rows(), null, null))
                .toList());
    }
}
