package dbtool.transfer;

import dbtool.archive.Manifest;
import java.nio.file.Path;

/** A finished export: the archive (already renamed into place, sidecar written) and what it holds. */
public record ExportResult(Path archive, Path sidecar, String sha256, long sizeBytes, Manifest manifest, long millis) {}
