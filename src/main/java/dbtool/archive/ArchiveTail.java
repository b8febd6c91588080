package dbtool.archive;

import com.github.luben.zstd.ZstdInputStream;
import dbtool.crypto.AgeEncryption;
import dbtool.crypto.AgePayload;
import dbtool.crypto.Decryptor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Finds the manifest of a manifest-last archive (format 3) in its last bytes, without reading the rest: the
 * writer puts manifest.json, SHA256SUMS and tar's end blocks into one final gzip member / zstd frame (in a plain
 * .tar, they are simply its last entries). The last window of the archive (1 MiB, growing while the archive is
 * larger) is searched backwards for where that member starts (the codec's magic bytes; for .tar a header named
 * manifest.json), and a candidate is taken only when it decodes to exactly manifest.json, SHA256SUMS and the end
 * blocks, ending exactly at the end of the file. Bytes of the dump that happen to look like a member's start (a
 * pg_dump -Z1 file holds gzip members of its own) fail that test. The last member of a compressed format 1 or 2
 * archive (SHA256SUMS and the end blocks alone) ends the search at once: its manifest is its first entry.
 *
 * <p>Nothing here is verified against SHA256SUMS: that is a full read's job. An encrypted archive's tail is read
 * through its decryptor at random access (every chunk used is authenticated); encrypted archives without a key that
 * allows it, archives of formats 1 and 2 (manifest first) and anything unexpected give empty: the caller then
 * streams the archive.
 */
final class ArchiveTail {

    private static final int FIRST_WINDOW = 1 << 20;
    private static final int LAST_WINDOW = 64 << 20;
    private static final int RECORD = 512;
    private static final byte[] GZIP_MAGIC = {0x1f, (byte) 0x8b, 0x08};
    private static final byte[] ZSTD_MAGIC = {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd};
    private static final byte[] MANIFEST_HEADER = (ArchiveLayout.MANIFEST + "\0").getBytes(StandardCharsets.US_ASCII);
    private static final String TOC = ArchiveLayout.DUMP_PREFIX + "toc.dat";
    private static final byte[] TOC_HEADER = (TOC + "\0").getBytes(StandardCharsets.US_ASCII);

    /** The raw entries of a last member: toc.dat (or null), manifest.json and SHA256SUMS. */
    private record Last(byte[] toc, byte[] json, byte[] sums) {
        /** What {@link #lastEntries} gives for the last member of a format 1 or 2 archive: SHA256SUMS alone. */
        static final Last MANIFEST_FIRST = new Last(null, null, null);

        TailEntries entries(String archiveName) {
            Checksums checksums = Checksums.parse(sums, archiveName + ": SHA256SUMS");
            boolean verified = toc != null && Sha256.hex(toc).equals(checksums.byName().get(TOC))
                    && Sha256.hex(json).equals(checksums.byName().get(ArchiveLayout.MANIFEST));
            return new TailEntries(ManifestJson.read(json, archiveName), verified ? Optional.of(toc) : Optional.empty(),
                    checksums);
        }
    }

    private ArchiveTail() {}

    /** As {@link #read(ArchiveInput, long)}; an encrypted archive's plaintext is read through {@code decryptor}. */
    static Optional<TailEntries> read(ArchiveInput archive, Decryptor decryptor, long maxManifestBytes)
            throws IOException {
        byte[] head = archive.read(0, (int) Math.min(archive.size(), AgeEncryption.headerLength()));
        if (!AgeEncryption.isEncrypted(head, head.length)) {
            return read(archive, maxManifestBytes);
        }
        Optional<AgePayload> payload = decryptor.payload(archive::read, archive.size(), archive.name());
        return payload.isEmpty() ? Optional.empty() : read(new DecryptedInput(archive, payload.get()), maxManifestBytes);
    }

    /**
     * The last member's entries, or empty when it is not found there. toc.dat is given only when both it and
     * manifest.json match the member's own SHA256SUMS (a flipped byte there is for the full read to report).
     */
    static Optional<TailEntries> read(ArchiveInput archive, long maxManifestBytes) throws IOException {
        long size = archive.size();
        byte[] head = archive.read(0, (int) Math.min(size, AgeEncryption.headerLength()));
        if (AgeEncryption.isEncrypted(head, head.length)) {
            return Optional.empty();
        }
        Compression codec = Compression.sniff(head, head.length);
        for (long window = FIRST_WINDOW; ; window *= 4) {
            int length = (int) Math.min(size, Math.min(window, LAST_WINDOW));
            byte[] tail = archive.read(size - length, length);
            // A plain tar's last entries have no member of their own: the one that starts at manifest.json is
            // complete, but the one that starts at toc.dat, further back, has the toc too.
            Last withoutToc = null;
            for (int start = length - RECORD; start >= 0; start--) {
                if (startsMember(codec, tail, start)) {
                    Last last = lastEntries(codec, tail, start, maxManifestBytes);
                    if (last == Last.MANIFEST_FIRST) {
                        return Optional.empty(); // its manifest is its first entry: no use searching further back
                    }
                    if (last != null && codec == Compression.NONE && last.toc() == null) {
                        withoutToc = last;
                    } else if (last != null) {
                        return Optional.of(last.entries(archive.name()));
                    }
                }
            }
            if (withoutToc != null) {
                return Optional.of(withoutToc.entries(archive.name()));
            }
            if (length == size || length == LAST_WINDOW) {
                return Optional.empty();
            }
        }
    }

    private static boolean startsMember(Compression codec, byte[] bytes, int at) {
        return switch (codec) {
            case GZIP -> startsWith(bytes, at, GZIP_MAGIC);
            case ZSTD -> startsWith(bytes, at, ZSTD_MAGIC);
            // A plain tar ends on a 512-byte record: the entry starts a whole number of records before the end.
            case NONE -> (bytes.length - at) % RECORD == 0
                    && (startsWith(bytes, at, MANIFEST_HEADER) || startsWith(bytes, at, TOC_HEADER));
        };
    }

    private static boolean startsWith(byte[] bytes, int at, byte[] prefix) {
        return bytes.length - at >= prefix.length && Arrays.equals(bytes, at, at + prefix.length, prefix, 0, prefix.length);
    }

    /**
     * The entries when {@code bytes[start..]} decodes to exactly the last entries of a format 3 archive ([toc.dat,]
     * manifest.json, SHA256SUMS); {@link Last#MANIFEST_FIRST} when it decodes to exactly those of format 1 or 2
     * (SHA256SUMS alone); else null.
     */
    private static Last lastEntries(Compression codec, byte[] bytes, int start, long maxManifestBytes) {
        try (InputStream decoded = decode(codec, new ByteArrayInputStream(bytes, start, bytes.length - start));
                TarArchiveInputStream tar = new TarArchiveInputStream(decoded, RECORD, RECORD)) {
            TarArchiveEntry manifest = tar.getNextEntry();
            // (A plain tar has no members: its SHA256SUMS alone at the end says nothing about where the manifest is.)
            if (codec != Compression.NONE && manifest != null && manifest.getName().equals(ArchiveLayout.CHECKSUMS)
                    && manifest.isFile()
                    && manifest.getSize() <= maxManifestBytes && readEntry(tar, manifest.getSize()) != null) {
                return tar.getNextEntry() == null && decoded.read() < 0 ? Last.MANIFEST_FIRST : null;
            }
            byte[] toc = null;
            if (manifest != null && manifest.getName().equals(TOC) && manifest.isFile()
                    && manifest.getSize() <= maxManifestBytes) {
                toc = readEntry(tar, manifest.getSize());
                manifest = toc == null ? null : tar.getNextEntry();
            }
            if (manifest == null || !manifest.getName().equals(ArchiveLayout.MANIFEST) || !manifest.isFile()
                    || manifest.getSize() > maxManifestBytes) {
                return null;
            }
            byte[] json = readEntry(tar, manifest.getSize());
            TarArchiveEntry sums = tar.getNextEntry();
            byte[] sumsBytes = sums == null || !sums.getName().equals(ArchiveLayout.CHECKSUMS) || !sums.isFile()
                    || sums.getSize() > maxManifestBytes ? null : readEntry(tar, sums.getSize());
            if (json == null || sumsBytes == null) {
                return null;
            }
            // tar's end blocks, then the end of the file: nothing may follow.
            return tar.getNextEntry() == null && decoded.read() < 0 ? new Last(toc, json, sumsBytes) : null;
        } catch (IOException | RuntimeException notTheLastMember) {
            return null;
        }
    }

    private static byte[] readEntry(TarArchiveInputStream tar, long size) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) size);
        tar.transferTo(out);
        return out.size() == size ? out.toByteArray() : null;
    }

    private static InputStream decode(Compression codec, InputStream in) throws IOException {
        return switch (codec) {
            case GZIP -> new GzipMembersInputStream(in);
            case ZSTD -> new ZstdInputStream(in);
            case NONE -> in;
        };
    }
}
