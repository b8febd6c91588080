package dbtool.archive;

import com.github.luben.zstd.ZstdInputStream;
import dbtool.DbToolException;
import dbtool.crypto.AgeEncryption;
import dbtool.crypto.Decryptor;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongConsumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads an archive in one pass and trusts nothing in it: the sidecar, every SHA256SUMS line and the
 * manifest's file sizes are checked, and only plain files with plain names under dump/ are written,
 * never links, devices, absolute paths or "..". Everything is checked before any database is touched.
 *
 * <p>An age-encrypted archive is decrypted as it is read, below the decompressor; the sidecar is checked
 * against the encrypted bytes, and age authenticates every chunk, to the very last one.
 */
public final class ArchiveReader {

    private static final int BUFFER = 1 << 20;
    private static final long MAX_METADATA_BYTES = 64L << 20;

    /** What a full read established. {@code sidecarChecked} is false when no sidecar file exists. */
    public record Result(Manifest manifest, boolean sidecarChecked, long archiveBytes, int filesChecked) {}

    public static Path sidecarOf(Path archive) {
        return archive.resolveSibling(archive.getFileName() + ".sha256");
    }

    /**
     * The manifest, read as cheaply as the archive allows (inspect must stay fast on 100 GB archives): from the
     * archive's last member (format 3, not encrypted), else from its first entry (formats 1 and 2), else by
     * streaming the archive up to the manifest (an encrypted format 3 archive). Nothing is verified.
     */
    public static Manifest readManifest(Path archive) {
        return readManifest(archive, Decryptor.NONE);
    }

    /** {@link #readManifest(Path)}, decrypting with {@code decryptor} when the archive is encrypted. */
    public static Manifest readManifest(Path archive, Decryptor decryptor) {
        return readManifest(ArchiveInput.of(archive), decryptor);
    }

    /** {@link #readManifest(Path)}, wherever the archive is stored, decrypting it when it is encrypted. */
    public static Manifest readManifest(ArchiveInput archive, Decryptor decryptor) {
        return manifest(archive, decryptor, false).orElseThrow();
    }

    /**
     * The manifest when it can be read without streaming the archive (from its tail, or its first entry), else
     * empty: import then learns it while it unpacks instead of decrypting the archive twice.
     */
    public static java.util.Optional<Manifest> readManifestIfQuick(ArchiveInput archive, Decryptor decryptor) {
        return manifest(archive, decryptor, true);
    }

    /**
     * The last member's entries of a format 3 archive that is not encrypted (toc.dat with the manifest in archives
     * written since it moved there), read from the archive's tail alone; empty for anything else. Not verified
     * beyond the member's own SHA256SUMS: a full read still has to check every entry and the sidecar.
     */
    public static java.util.Optional<TailEntries> readTail(ArchiveInput archive) {
        return readTail(archive, Decryptor.NONE);
    }

    /**
     * As {@link #readTail(ArchiveInput)}, an encrypted archive's too when {@code decryptor} can read its plaintext at
     * random access: only the chunks of the last member are decrypted, each authenticated.
     *
     * @throws DbToolException exit 2 when the key does not fit, exit 4 when the header or a chunk does not authenticate
     */
    public static java.util.Optional<TailEntries> readTail(ArchiveInput archive, Decryptor decryptor) {
        try {
            return ArchiveTail.read(archive, decryptor, MAX_METADATA_BYTES);
        } catch (NoSuchFileException e) {
            throw DbToolException.usage("archive " + archive.location() + " does not exist");
        } catch (IOException e) {
            throw damaged(archive.name(), e);
        }
    }

    private static java.util.Optional<Manifest> manifest(ArchiveInput archive, Decryptor decryptor, boolean quick) {
        String name = archive.name();
        try {
            // An encrypted archive's tail too, when the key allows random access: inspect need not decrypt it all.
            java.util.Optional<Manifest> fromTail = ArchiveTail.read(archive, decryptor, MAX_METADATA_BYTES)
                    .map(TailEntries::manifest);
            if (fromTail.isPresent()) {
                return fromTail;
            }
        } catch (NoSuchFileException e) {
            throw DbToolException.usage("archive " + archive.location() + " does not exist");
        } catch (IOException e) {
            throw damaged(name, e);
        }
        try (InputStream raw = open(archive, decryptor); TarArchiveInputStream tar = tar(raw)) {
            TarArchiveEntry entry = firstEntry(tar, name);
            while (entry != null && !entry.getName().equals(ArchiveLayout.MANIFEST)) {
                if (quick) {
                    return java.util.Optional.empty();
                }
                entry = nextEntry(tar, name);
            }
            if (entry == null) {
                throw DbToolException.archive(name + " is not a dbtool archive (it holds no manifest.json)");
            }
            return java.util.Optional.of(ManifestJson.read(readSmall(tar, entry, name), name));
        } catch (IOException e) {
            throw damaged(name, e);
        }
    }

    /**
     * Checks everything and, when {@code extractTo} is not null, writes the files below it (it must
     * be an empty directory). Throws {@link DbToolException} with exit 4 on any doubt.
     */
    public static Result read(Path archive, Path extractTo, LongConsumer bytesRead) {
        return read(archive, extractTo, bytesRead, Decryptor.NONE);
    }

    /** {@link #read(Path, Path, LongConsumer)}, decrypting with {@code decryptor} when the archive is encrypted. */
    public static Result read(Path archive, Path extractTo, LongConsumer bytesRead, Decryptor decryptor) {
        return read(ArchiveInput.of(archive), extractTo, bytesRead, decryptor);
    }

    /** As {@link #read(Path, Path, LongConsumer, Decryptor)}, for an archive wherever it is stored; read once, as one stream. */
    public static Result read(ArchiveInput archive, Path extractTo, LongConsumer bytesRead, Decryptor decryptor) {
        return read(archive, extractTo, bytesRead, decryptor, null);
    }

    /**
     * As {@link #read(ArchiveInput, Path, LongConsumer, Decryptor)}, with the manifest already read from the archive's
     * tail ({@link #readManifestIfQuick}), or null. Not trusted: it only lets entries that come before the manifest be
     * refused at their header (not listed, or bigger than listed) instead of after they were unpacked, so a crafted
     * archive cannot fill the work disk; the manifest in the stream must then be the same.
     */
    public static Result read(ArchiveInput archive, Path extractTo, LongConsumer bytesRead, Decryptor decryptor,
            Manifest announced) {
        return read(archive, extractTo, bytesRead, decryptor, announced, null);
    }

    /**
     * Where a streaming reader sends some entries instead of the work directory. Every call comes from the reading
     * thread, in archive order.
     */
    public interface EntryTarget {
        /** Where this entry's bytes go (closed by the reader when they are all there), or null: unpack it as usual. */
        OutputStream open(String entryName, long size) throws IOException;

        /** After the entry's last byte, with the SHA-256 of all its bytes; may throw to stop the read. */
        void written(String entryName, String sha256) throws IOException;
    }

    /** As {@link #read(ArchiveInput, Path, LongConsumer, Decryptor, Manifest)}, offering each file to {@code target} first. */
    public static Result read(ArchiveInput archive, Path extractTo, LongConsumer bytesRead, Decryptor decryptor,
            Manifest announced, EntryTarget target) {
        return read(archive, extractTo, bytesRead, decryptor, announced, target, Igzip.find());
    }

    /** As {@link #read(ArchiveInput, Path, LongConsumer, Decryptor, Manifest, EntryTarget)}, gzip inflated by {@code igzip} if present. */
    static Result read(ArchiveInput archive, Path extractTo, LongConsumer bytesRead, Decryptor decryptor,
            Manifest announced, EntryTarget target, Optional<Path> igzip) {
        String name = archive.name();
        String expectedSidecar = readSidecar(archive);
        MessageDigest fileDigest = Sha256.newDigest();
        Manifest manifest = null;
        Map<String, Long> expectedSizes = announced == null ? null : listedSizes(announced, name);
        Map<String, String> actual = new LinkedHashMap<>();
        Checksums listed = null;
        long archiveBytes;
        try (InputStream file = archive.open();
                CountingInputStream counted = new CountingInputStream(new DigestInputStream(file, fileDigest), bytesRead);
                BufferedInputStream stored = new BufferedInputStream(counted, BUFFER);
                InputStream plain = decrypt(stored, decryptor, name);
                InputStream decompressed = decompress(plain == stored ? stored : new BufferedInputStream(plain, BUFFER), igzip);
                ReadAheadInputStream ahead = new ReadAheadInputStream(decompressed, BUFFER);
                TarArchiveInputStream tar = new TarArchiveInputStream(ahead, BUFFER)) {
            byte[] buffer = new byte[BUFFER];
            if (extractTo != null) {
                Files.createDirectories(extractTo.resolve(ArchiveLayout.DUMP_DIR));
            }
            // The manifest may come first (formats 1, 2) or last (3): entries before it are checked against it
            // when it arrives, and nothing is trusted before SHA256SUMS, the last entry, agrees with both.
            Map<String, Long> sizes = new HashMap<>();
            boolean first = true;
            TarArchiveEntry entry;
            while ((entry = first ? firstEntry(tar, name) : nextEntry(tar, name)) != null) {
                first = false;
                String entryName = entry.getName();
                if (listed != null) {
                    throw DbToolException.archive(name + ": entry '" + entryName + "' follows SHA256SUMS; refusing the archive");
                }
                if (actual.containsKey(entryName)) {
                    throw DbToolException.archive(name + ": entry '" + entryName + "' appears twice; refusing the archive");
                }
                if (entryName.equals(ArchiveLayout.MANIFEST)) {
                    requirePlainFile(entry, name);
                    byte[] json = readSmall(tar, entry, name);
                    actual.put(entryName, Sha256.hex(json));
                    manifest = ManifestJson.read(json, name);
                    if (announced != null && !manifest.equals(announced)) {
                        throw DbToolException.archive(name + ": manifest.json differs from the one at the archive's end;"
                                + " refusing the archive");
                    }
                    expectedSizes = listedSizes(manifest, name);
                    for (Map.Entry<String, Long> seen : sizes.entrySet()) {
                        requireListed(name, expectedSizes, seen.getKey(), seen.getValue());
                    }
                    continue;
                }
                if (entryName.equals(ArchiveLayout.CHECKSUMS)) {
                    requirePlainFile(entry, name);
                    listed = Checksums.parse(readSmall(tar, entry, name), name + ": SHA256SUMS");
                    continue;
                }
                if (entry.isDirectory() && entryName.equals(ArchiveLayout.DUMP_PREFIX)) {
                    continue;
                }
                requirePlainFile(entry, name);
                if (!ArchiveLayout.isDataFile(entryName)) {
                    throw DbToolException.archive(name + " is not a dbtool archive (unexpected entry '" + entryName
                            + "'); refusing it");
                }
                if (expectedSizes != null) {
                    requireListed(name, expectedSizes, entryName, entry.getSize());
                }
                sizes.put(entryName, entry.getSize());
                actual.put(entryName, copy(tar, entryName, entry.getSize(), extractTo, buffer, name, target));
            }
            // Hash whatever follows the tar's end marker too: the sidecar covers the whole file.
            ahead.stop(); // the decompressed stream is ours again
            // To its end: igzip checks the last member and what follows it only there (and a read ahead may have
            // dropped its verdict); the JVM's reader refuses garbage after the last member here too.
            decompressed.transferTo(OutputStream.nullOutputStream());
            if (plain != stored) {
                plain.transferTo(OutputStream.nullOutputStream()); // age authenticates its last chunk at the end
            }
            counted.drain(buffer);
            archiveBytes = counted.count;
        } catch (NoSuchFileException e) {
            throw DbToolException.usage("archive " + archive.location() + " does not exist");
        } catch (IOException e) {
            if (diskFull(e)) {
                throw new java.io.UncheckedIOException(e); // the work disk, not the archive: the caller says so
            }
            throw damaged(name, e);
        }
        if (manifest == null && actual.isEmpty()) {
            throw DbToolException.archive(name + " is empty or not a dbtool archive");
        }
        if (manifest == null) {
            throw DbToolException.archive(name + " is truncated: manifest.json, near its end, is missing");
        }
        if (listed == null) {
            throw DbToolException.archive(name + " is truncated: SHA256SUMS, the last entry, is missing");
        }
        compare(name, manifest, listed, actual);
        boolean sidecarChecked = false;
        if (expectedSidecar != null) {
            String sha = Sha256.hex(fileDigest);
            if (!sha.equals(expectedSidecar)) {
                throw DbToolException.archive(name + ": SHA-256 " + sha + " does not match its sidecar "
                        + archive.sidecarName() + " (" + expectedSidecar + "); the archive changed after it was written");
            }
            sidecarChecked = true;
        }
        return new Result(manifest, sidecarChecked, archiveBytes, actual.size());
    }

    private static Map<String, Long> listedSizes(Manifest manifest, String name) {
        Map<String, Long> sizes = new HashMap<>();
        for (Manifest.FileEntry f : manifest.files()) {
            if (!ArchiveLayout.isDataFile(f.path())) {
                throw DbToolException.archive(name + ": manifest lists an unsafe path '" + f.path() + "'; refusing the archive");
            }
            sizes.put(f.path(), f.size());
        }
        return sizes;
    }

    private static void requireListed(String name, Map<String, Long> expectedSizes, String entryName, long size) {
        Long expected = expectedSizes.get(entryName);
        if (expected == null) {
            throw DbToolException.archive(name + ": unexpected entry '" + entryName
                    + "' (not listed in the manifest); refusing the archive");
        }
        if (size != expected) {
            throw DbToolException.archive(name + ": entry '" + entryName + "' is " + size
                    + " bytes but the manifest says " + expected + "; refusing the archive");
        }
    }

    private static void compare(String name, Manifest manifest, Checksums listed, Map<String, String> actual) {
        for (Manifest.FileEntry f : manifest.files()) {
            if (!actual.containsKey(f.path())) {
                throw DbToolException.archive(name + " is incomplete: '" + f.path() + "' is missing");
            }
        }
        for (Map.Entry<String, String> e : actual.entrySet()) {
            String expected = listed.byName().get(e.getKey());
            if (expected == null) {
                throw DbToolException.archive(name + ": '" + e.getKey() + "' has no line in SHA256SUMS; refusing the archive");
            }
            if (!expected.equals(e.getValue())) {
                throw DbToolException.archive(name + ": checksum mismatch for '" + e.getKey()
                        + "'; the archive is damaged, restore from another copy");
            }
        }
        if (listed.byName().size() != actual.size()) {
            throw DbToolException.archive(name + ": SHA256SUMS lists files that are not in the archive; refusing it");
        }
    }

    private static String copy(TarArchiveInputStream tar, String entryName, long size, Path extractTo, byte[] buffer,
            String archiveName, EntryTarget target) throws IOException {
        MessageDigest digest = Sha256.newDigest();
        OutputStream out = target == null ? null : target.open(entryName, size);
        boolean elsewhere = out != null;
        try {
            if (extractTo != null && !elsewhere) {
                Path base = extractTo.toAbsolutePath().normalize();
                Path dest = base.resolve(entryName).normalize();
                boolean globals = entryName.equals(ArchiveLayout.GLOBALS);
                if (!dest.startsWith(base) || !dest.getParent().equals(globals ? base : base.resolve(ArchiveLayout.DUMP_DIR))) {
                    throw DbToolException.archive(archiveName + ": entry '" + entryName + "' points outside the work directory");
                }
                if (globals) {
                    // Role definitions (password hashes with --role-passwords): readable by the owner only.
                    Files.createFile(dest, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
                    out = Files.newOutputStream(dest, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE,
                            LinkOption.NOFOLLOW_LINKS);
                } else {
                    out = Files.newOutputStream(dest, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                            LinkOption.NOFOLLOW_LINKS);
                }
            }
            long remaining = size;
            int n;
            while (remaining > 0 && (n = tar.read(buffer, 0, (int) Math.min(buffer.length, remaining))) > 0) {
                digest.update(buffer, 0, n);
                if (out != null) {
                    out.write(buffer, 0, n);
                }
                remaining -= n;
            }
            if (remaining != 0) {
                throw new EOFException("entry " + entryName + " is cut short");
            }
        } finally {
            if (out != null) {
                out.close();
            }
        }
        String sha256 = Sha256.hex(digest);
        if (elsewhere) {
            target.written(entryName, sha256);
        }
        return sha256;
    }

    private static void requirePlainFile(TarArchiveEntry entry, String name) {
        if (!entry.isFile() || entry.isLink() || entry.isSymbolicLink() || entry.isCharacterDevice()
                || entry.isBlockDevice() || entry.isFIFO()) {
            throw DbToolException.archive(name + ": entry '" + entry.getName()
                    + "' is not a plain file (link, device or directory); refusing the archive");
        }
    }

    private static byte[] readSmall(TarArchiveInputStream tar, TarArchiveEntry entry, String name) throws IOException {
        if (entry.getSize() > MAX_METADATA_BYTES) {
            throw DbToolException.archive(name + ": " + entry.getName() + " is implausibly large; refusing the archive");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) entry.getSize());
        tar.transferTo(out);
        if (out.size() != entry.getSize()) {
            throw new EOFException(entry.getName() + " is cut short");
        }
        return out.toByteArray();
    }

    /**
     * A file whose very first header is not tar (a .sql file, random bytes, a gzipped dump) was never a
     * dbtool archive: saying "truncated or damaged" would send the user looking for another copy.
     * An archive cut short before its first header still reads as truncated.
     */
    private static TarArchiveEntry firstEntry(TarArchiveInputStream tar, String name) throws IOException {
        try {
            return nextEntry(tar, name);
        } catch (EOFException e) {
            throw e;
        } catch (IOException e) {
            if (unreadable(e)) {
                throw e; // damaged, not another kind of file
            }
            throw new DbToolException(dbtool.ExitCode.ARCHIVE, name + " is not a dbtool archive (no tar header at its"
                    + " start: " + detail(e) + "); check the file name, or restore from another copy", e);
        }
    }

    private static TarArchiveEntry nextEntry(TarArchiveInputStream tar, String name) throws IOException {
        TarArchiveEntry entry = tar.getNextEntry();
        if (entry == null) {
            return null;
        }
        String entryName = entry.getName();
        if (entryName.startsWith("/") || entryName.contains("\\") || entryName.contains("\0")
                || java.util.Arrays.asList(entryName.split("/")).contains("..")) {
            throw DbToolException.archive(name + ": unsafe entry '" + entryName
                    + "' (absolute path or '..'); refusing the archive");
        }
        return entry;
    }

    private static String readSidecar(ArchiveInput archive) {
        String sidecar = archive instanceof ArchiveInput.LocalFile local
                ? local.file().resolveSibling(archive.sidecarName()).toString()
                : archive.location() + ".sha256";
        try {
            java.util.Optional<String> content = archive.sidecar();
            if (content.isEmpty()) {
                return null;
            }
            String hex = content.get().strip().split("\\s+", 2)[0].toLowerCase();
            if (!hex.matches("[0-9a-f]{64}")) {
                throw DbToolException.archive(sidecar + " is not a sha256sum line; delete or fix it");
            }
            return hex;
        } catch (IOException e) {
            throw DbToolException.archive("cannot read " + sidecar + ": " + e.getMessage());
        }
    }

    private static InputStream open(ArchiveInput archive, Decryptor decryptor) throws IOException {
        InputStream raw;
        try {
            raw = archive.open();
        } catch (NoSuchFileException e) {
            throw DbToolException.usage("archive " + archive.location() + " does not exist");
        }
        BufferedInputStream stored = new BufferedInputStream(raw, BUFFER);
        try {
            InputStream plain = decrypt(stored, decryptor, archive.name());
            return decompress(plain == stored ? stored : new BufferedInputStream(plain, BUFFER),
                    Igzip.find());
        } catch (IOException | RuntimeException e) {
            stored.close();
            throw e;
        }
    }

    private static TarArchiveInputStream tar(InputStream in) {
        return new TarArchiveInputStream(in, BUFFER);
    }

    /** {@code in} itself when it is not an age file, else the decrypted stream. */
    private static InputStream decrypt(BufferedInputStream in, Decryptor decryptor, String name) throws IOException {
        int length = AgeEncryption.headerLength();
        in.mark(length);
        byte[] head = new byte[length];
        int n = in.readNBytes(head, 0, length);
        in.reset();
        return AgeEncryption.isEncrypted(head, n) ? decryptor.decrypt(in, name) : in;
    }

    private static InputStream decompress(BufferedInputStream in, Optional<Path> igzip) throws IOException {
        in.mark(8);
        byte[] head = new byte[4];
        int n = in.readNBytes(head, 0, 4);
        in.reset();
        return new BelowTar(switch (Compression.sniff(head, n)) {
            case GZIP -> gunzip(in, head, igzip);
            case ZSTD -> new ZstdInputStream(in);
            case NONE -> in;
        });
    }

    /**
     * igzip if present and it starts (less CPU than zlib in this JVM, which on two cores the import's COPY needs, and
     * beside the reading thread instead of on it), else zlib in this JVM. igzip ignores reserved flag bits in a header: a first header with any set goes to the JVM's reader,
     * which refuses it.
     */
    private static InputStream gunzip(BufferedInputStream in, byte[] head, Optional<Path> igzip) {
        if (igzip.isPresent() && (head[3] & 0xe0) == 0) {
            try {
                return new IgzipInputStream(in, igzip.get());
            } catch (IOException e) {
                // an igzip that does not start (not executable, no memory) is as good as none: zlib does the job
            }
        }
        return new GzipMembersInputStream(in);
    }

    /**
     * Marks read errors from below the tar layer (the decompressor, the file, the bucket): when one stops the first
     * header, the archive is damaged, and saying "not a dbtool archive" would send the user to check the file name.
     */
    private static final class BelowTar extends java.io.FilterInputStream {
        BelowTar(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (EOFException e) {
                throw e;
            } catch (IOException e) {
                throw new Unreadable(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (EOFException e) {
                throw e;
            } catch (IOException e) {
                throw new Unreadable(e);
            }
        }
    }

    private static final class Unreadable extends IOException {
        Unreadable(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    private static boolean unreadable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof Unreadable) {
                return true;
            }
        }
        return false;
    }

    /** Whether writing an entry failed for want of room (the kernel's ENOSPC), anywhere in the causes. */
    public static boolean diskFull(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (String.valueOf(t.getMessage()).contains("No space left on device")) {
                return true;
            }
        }
        return false;
    }

    private static DbToolException damaged(String name, IOException e) {
        return new DbToolException(dbtool.ExitCode.ARCHIVE, name + " is truncated or damaged (" + detail(e)
                + "); restore from another copy", e);
    }

    /** Words for the user, not a Java class name such as "EOFException". */
    private static String detail(IOException e) {
        if (e.getMessage() != null && !e.getMessage().isBlank()) {
            return e.getMessage().strip().replaceAll("\\s*\\R\\s*", " ");
        }
        return e instanceof EOFException ? "the file ends too early" : "read error";
    }

    private static final class CountingInputStream extends java.io.FilterInputStream {
        private final LongConsumer listener;
        private long count;

        CountingInputStream(InputStream in, LongConsumer listener) {
            super(in);
            this.listener = listener;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count++;
                listener.accept(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                count += n;
                listener.accept(n);
            }
            return n;
        }

        void drain(byte[] buffer) throws IOException {
            while (read(buffer, 0, buffer.length) > 0) {
                // counting and hashing happen in read
            }
        }
    }
}
