package dbtool.transfer;

import dbtool.archive.ArchiveName;
import dbtool.archive.Compression;
import dbtool.config.ConnectionSettings;
import dbtool.crypto.AgeEncryption;
import java.util.List;

/**
 * One export, fully decided: the CLI (or backup) resolves config and flags into this.
 *
 * @param project the project name recorded in the manifest, or null for a bare --url
 * @param output a directory or {@code s3://bucket/prefix} (the archive gets a timestamped name), or an archive's
 *     file name or object URL
 * @param encryption the age recipients the archive is encrypted to, or null for a plaintext archive
 * @param globals add the server's roles and tablespaces (pg_dumpall --globals-only) as globals.sql
 * @param rolePasswords with globals: include the roles' password hashes
 * @param kind a backup, or a migration's safety snapshot (named so that retention never deletes it)
 */
public record ExportOptions(
        String project,
        ConnectionSettings source,
        String output,
        int jobs,
        Compression compression,
        List<String> schemas,
        List<String> excludeTables,
        AgeEncryption encryption,
        boolean globals,
        boolean rolePasswords,
        ArchiveName.Kind kind) {

    /** A plaintext archive without globals. */
    public ExportOptions(String project, ConnectionSettings source, String output, int jobs, Compression compression,
            List<String> schemas, List<String> excludeTables) {
        this(project, source, output, jobs, compression, schemas, excludeTables, null);
    }

    /** An archive without globals, encrypted to {@code encryption}'s recipients (or plaintext for null). */
    public ExportOptions(String project, ConnectionSettings source, String output, int jobs, Compression compression,
            List<String> schemas, List<String> excludeTables, AgeEncryption encryption) {
        this(project, source, output, jobs, compression, schemas, excludeTables, encryption, false, false,
                ArchiveName.Kind.BACKUP);
    }

    /** The archive's file name ending: {@code .tar.gz}, or {@code .tar.gz.age} when encrypted. */
    public String extension() {
        return compression.extension() + (encryption == null ? "" : AgeEncryption.SUFFIX);
    }

    /** True when --schema or --exclude-table left part of the database out. */
    public boolean partial() {
        return !schemas.isEmpty() || !excludeTables.isEmpty();
    }

    /** The name archives of this export start with. */
    public String archivePrefix() {
        String base = project != null ? project : source.database();
        return base.replaceAll("[^A-Za-z0-9_.-]", "_");
    }
}
