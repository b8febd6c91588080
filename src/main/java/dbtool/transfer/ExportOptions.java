package dbtool.transfer;

import dbtool.archive.Compression;
import dbtool.config.ConnectionSettings;
import java.nio.file.Path;
import java.util.List;

/**
 * One export, fully decided: the CLI (or backup) resolves config and flags into this.
 *
 * @param project the project name recorded in the manifest, or null for a bare --url
 * @param output a directory (the archive gets a timestamped name) or a file path
 */
public record ExportOptions(
        String project,
        ConnectionSettings source,
        Path output,
        int jobs,
        Compression compression,
        List<String> schemas,
        List<String> excludeTables) {

    /** The name archives of this export start with. */
    public String archivePrefix() {
        String base = project != null ? project : source.database();
        return base.replaceAll("[^A-Za-z0-9_.-]", "_");
    }
}
