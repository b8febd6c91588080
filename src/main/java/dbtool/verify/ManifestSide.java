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

    /**
     * Checks the whole archive first (sidecar and every checksum, nothing unpacked): the counts of a truncated or
     * corrupt archive describe data that is not there, so such an archive is unusable (exit 4), never "equal".
     */
    public static ManifestSide ofArchive(Path archive) {
        return ofArchive(archive, dbtool.crypto.Decryptor.NONE);
    }

    /** An encrypted archive's manifest, decrypted with {@code decryptor}; the whole archive is checked as above. */
    public static ManifestSide ofArchive(Path archive, dbtool.crypto.Decryptor decryptor) {
        if (!java.nio.file.Files.isRegularFile(archive)) {
            throw dbtool.DbToolException.usage("archive " + archive + " does not exist or is not a file");
        }
        return new ManifestSide(archive.toString(), ArchiveReader.read(archive, null, n -> { }, decryptor).manifest());
    }

    /** Wherever the archive is stored; the whole archive is checked as above (read once, as one stream). */
    public static ManifestSide ofArchive(ArchiveInput archive, dbtool.crypto.Decryptor decryptor) {
        return new ManifestSide(archive.location(), ArchiveReader.read(archive, null, n -> { }, decryptor).manifest());
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
