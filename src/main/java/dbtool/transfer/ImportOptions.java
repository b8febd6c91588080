package dbtool.transfer;

import dbtool.archive.ArchiveInput;
import dbtool.config.ConnectionSettings;
import dbtool.crypto.Decryptor;
import java.nio.file.Path;

/**
 * One import, fully decided.
 *
 * @param archive a local file or an object in a bucket, read as one stream
 * @param clean replace an existing target: restore into a new database beside it and swap names only after every
 *     row count matched (see {@link DatabaseReplacement}); the CLI only sets this with --clean --yes
 * @param workDir where the archive is unpacked (a fresh subdirectory is made and removed)
 * @param decryptor reads an encrypted (age) archive
 * @param globals create the archive's roles and tablespaces that the target server lacks, before the restore
 */
public record ImportOptions(
        ArchiveInput archive, String project, ConnectionSettings target, int jobs, boolean clean, boolean keepOwners,
        Path workDir, Decryptor decryptor, boolean globals) {

    /** Plaintext archives only: an encrypted one is refused, saying how to give its key. */
    public ImportOptions(ArchiveInput archive, String project, ConnectionSettings target, int jobs, boolean clean,
            boolean keepOwners, Path workDir) {
        this(archive, project, target, jobs, clean, keepOwners, workDir, Decryptor.NONE, false);
    }

    /** Without globals. */
    public ImportOptions(ArchiveInput archive, String project, ConnectionSettings target, int jobs, boolean clean,
            boolean keepOwners, Path workDir, Decryptor decryptor) {
        this(archive, project, target, jobs, clean, keepOwners, workDir, decryptor, false);
    }
}
