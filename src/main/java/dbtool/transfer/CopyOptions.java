package dbtool.transfer;

import dbtool.config.ConnectionSettings;
import java.nio.file.Path;

/**
 * One copy, fully decided.
 *
 * @param fromProject the source's project name, or null for --from-url
 * @param toProject the target's project name, or null for --to-url
 * @param clean replace a non-empty target all or nothing (see {@link DatabaseReplacement}); the CLI asks for --yes
 * @param keepOwners restore owners and privileges (the roles must exist on the target; see globals)
 * @param globals create the source server's roles that the target server lacks, before the restore
 * @param checksum compare every table's content checksum with the source snapshot's, besides row counts
 * @param workDir where the temporary dump directory is made (and removed)
 */
public record CopyOptions(
        String fromProject,
        ConnectionSettings source,
        String toProject,
        ConnectionSettings target,
        int jobs,
        boolean clean,
        boolean keepOwners,
        boolean globals,
        boolean checksum,
        Path workDir) {}
