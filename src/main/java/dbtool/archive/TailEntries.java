package dbtool.archive;

import java.util.Optional;

/**
 * What the last member of a format 3 archive holds: the manifest, SHA256SUMS and, in archives written since the
 * toc moved there, pg_dump's toc.dat. Read from the archive's tail alone (see {@link ArchiveReader#readTail}), so
 * nothing here says the rest of the archive is whole: every other entry still has to match {@code checksums}.
 *
 * @param toc toc.dat's content, present only when it is in the last member and matches its SHA256SUMS line
 */
public record TailEntries(Manifest manifest, Optional<byte[]> toc, Checksums checksums) {}
