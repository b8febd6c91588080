package dbtool.transfer;

import dbtool.archive.ArchiveInput;
import dbtool.config.ConnectionSettings;
import dbtool.crypto.Decryptor;
import java.nio.file.Path;

/**
 * One import, fully decided.
 *
 * @param clean drop the archive's objects in the target first (pg_restore --clean --if-exists); the CLI
 *     only sets this with --clean --yes
 * @param archive a local file or an object in a bucket, read as one stream
 * @param workDir where the archive is unpacked (a fresh subdirectory is made and removed)
 * @param decryptor reads an encrypted (age) archive
 */
public record ImportOptions(
        ArchiveInput archive, String project, ConnectionSettings target, int jobs, boolean clean, boolean keepOwners,
        Path workDir, Decryptor decryptor) {

    /** Plaintext archives only: an encrypted one is refused, saying how to give its key. */
    public ImportOptions(ArchiveInput archive, String project, ConnectionSettings target, int jobs, boolean clean,
            boolean keepOwners, Path workDir) {
        this(archive, project, target, jobs, clean, keepOwners, workDir, Decryptor.NONE);
    }
}
