package dbtool.archive;

import com.github.luben.zstd.ZstdOutputStream;
import dbtool.crypto.AgeEncryption;
import dbtool.crypto.ScratchCipher;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;

/**
 * Writes an archive in two steps, so that packing can run while pg_dump still writes:
 *
 * <ol>
 *   <li>a {@link Body}: the dump/ tar entries, in whatever order the files become complete, through the
 *       compressor into a temporary file, without tar's end-of-archive blocks. Each file is hashed while it
 *       is copied.
 *   <li>{@link #assemble}: the archive file is [one compressed member/frame holding the tar entry
 *       manifest.json] + [the body's bytes, copied as they are] + [one member/frame holding SHA256SUMS and
 *       tar's end-of-archive blocks]. Concatenated gzip members and zstd frames decompress to one
 *       continuous tar stream, so tar and {@link ArchiveReader} see manifest.json first, dump/, then
 *       SHA256SUMS last. The archive's own SHA-256 (for the sidecar) is computed while it is written.
 * </ol>
 *
 * <p>With encryption, that whole byte stream goes through age on its way into the archive file (the
 * sidecar is of the encrypted file), and the body file is kept encrypted under a key that lives only in
 * memory ({@link ScratchCipher}), so the packed data is never on disk in plaintext.
 *
 * <p>Tar entries are written with a 512-byte block size: every entry ends on a record boundary and
 * nothing stays buffered between the pieces, so the pieces join into one valid tar. Memory stays flat.
 */
public final class ArchiveWriter {

    private static final int BUFFER = 1 << 20;
    private static final int RECORD = 512;

    private final Compression compression;
    private final int workers;
    private final AgeEncryption encryption;

    /**
     * @param compression outer codec. For gzip the dump files are already compressed by pg_dump's
     *     parallel workers, so the outer gzip only stores them: a second deflate pass would double the
     *     CPU for a few percent of size.
     * @param workers zstd compression threads for the body
     * @param encryption the recipients the archive file is encrypted to, or null for plaintext
     */
    public ArchiveWriter(Compression compression, int workers, AgeEncryption encryption) {
        this.compression = compression;
        this.workers = workers;
        this.encryption = encryption;
    }

    /** A plaintext archive. */
    public ArchiveWriter(Compression compression, int workers) {
        this(compression, workers, null);
    }

    /** What was written: the archive's own SHA-256 (for the sidecar) and its size. */
    public record Written(String sha256, long size) {}

    /** Starts a body in {@code bodyFile}, which must not exist; entries get {@code mtime}. */
    public Body openBody(Path bodyFile, Instant mtime) throws IOException {
        return new Body(bodyFile, mtime);
    }

    /**
     * Writes the finished archive to {@code target} (which must not exist) from a body and the manifest
     * describing it, and fsyncs it. The manifest's files must be the body's files.
     */
    public Written assemble(Body body, Manifest manifest, Path target) throws IOException {
        requireMatching(body, manifest);
        try (FileChannel channel = FileChannel.open(target, java.util.Set.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            BufferedOutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER);
            Written written = assemble(body, manifest, out);
            out.flush();
            channel.force(true);
            return written;
        }
    }

    /**
     * Writes the finished archive as one stream into {@code target} (a file, an upload), from a body and the
     * manifest describing it; flushes but neither closes nor syncs it. The manifest's files must be the body's files.
     */
    public Written assemble(Body body, Manifest manifest, OutputStream target) throws IOException {
        requireMatching(body, manifest);
        Instant mtime = Instant.parse(manifest.createdAt());
        MessageDigest archiveDigest = Sha256.newDigest();
        CountingOutputStream counted = new CountingOutputStream(new DigestOutputStream(new NonClosing(target), archiveDigest));
        BufferedOutputStream out = new BufferedOutputStream(encryption == null ? counted : encryption.encrypt(counted), BUFFER);

        byte[] manifestBytes = ManifestJson.write(manifest);
        Map<String, String> sums = new LinkedHashMap<>();
        sums.put(ArchiveLayout.MANIFEST, Sha256.hex(manifestBytes));
        sums.putAll(body.sums());

        OutputStream head = compress(new NonClosing(out), false);
        TarArchiveOutputStream headTar = tar(head);
        putBytes(headTar, ArchiveLayout.MANIFEST, manifestBytes, mtime);
        head.close(); // the member's trailer; the tar itself is not finished here

        try (InputStream in = body.scratch == null ? Files.newInputStream(body.file)
                : body.scratch.decrypt(Files.newInputStream(body.file))) {
            byte[] buffer = new byte[BUFFER];
            int n;
            while ((n = in.read(buffer)) > 0) {
                out.write(buffer, 0, n);
            }
        }

        OutputStream tail = compress(new NonClosing(out), false);
        TarArchiveOutputStream tailTar = tar(tail);
        putBytes(tailTar, ArchiveLayout.CHECKSUMS, new Checksums(sums).toBytes(new ArrayList<>(sums.keySet())), mtime);
        tailTar.finish(); // tar's end-of-archive blocks
        tail.close();
        out.close(); // age's last chunk; closing counted only flushes, the target stays open
        return new Written(Sha256.hex(archiveDigest), counted.count);
    }

    private static void requireMatching(Body body, Manifest manifest) throws IOException {
        body.finish();
        if (!manifest.files().equals(body.files())) {
            throw new IllegalArgumentException("the manifest's files are not the body's files");
        }
    }

    /**
     * The dump/ entries of an archive under construction. {@link #add} may be called from one thread at
     * a time (it is synchronized); a file must be complete when it is added, and it must not change
     * while it is copied: growing or shrinking is an error.
     */
    public final class Body implements Closeable {
        private final Path file;
        private final Instant mtime;
        private final FileChannel channel;
        /** Only for an encrypted archive: the body's bytes on disk are encrypted under a key in memory. */
        private final ScratchCipher scratch;
        private final OutputStream compressed;
        private final TarArchiveOutputStream tar;
        private final Map<String, String> sums = new LinkedHashMap<>();
        private final List<Manifest.FileEntry> files = new ArrayList<>();
        private final byte[] buffer = new byte[BUFFER];
        private volatile boolean abandoned;
        private boolean finished;

        private Body(Path file, Instant mtime) throws IOException {
            this.file = file;
            this.mtime = mtime;
            this.channel = FileChannel.open(file, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            this.scratch = encryption == null ? null : new ScratchCipher();
            boolean ok = false;
            try {
                OutputStream onDisk = Channels.newOutputStream(channel);
                this.compressed = compress(new NonClosing(new BufferedOutputStream(
                        scratch == null ? onDisk : scratch.encrypt(onDisk), BUFFER)), true);
                this.tar = tar(compressed);
                ok = true;
            } finally {
                if (!ok) {
                    channel.close();
                }
            }
        }

        public Path file() {
            return file;
        }

        /** Appends {@code source} as {@code entryName} and returns its entry; progress gets the bytes copied. */
        public Manifest.FileEntry add(Path source, String entryName, LongConsumer bytesCopied) throws IOException {
            return add(source, entryName, bytesCopied, OutputStream.nullOutputStream());
        }

        /**
         * Like {@link #add(Path, String, LongConsumer)}, and every byte copied is also written to {@code alsoTo}
         * (which is not closed): whoever needs to look at a file's content sees it without reading it twice.
         */
        public synchronized Manifest.FileEntry add(Path source, String entryName, LongConsumer bytesCopied,
                OutputStream alsoTo) throws IOException {
            if (finished) {
                throw new IllegalStateException("body already finished");
            }
            if (sums.containsKey(entryName)) {
                throw new IOException(entryName + " was packed twice");
            }
            if (!Files.isRegularFile(source, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException("pg_dump left an unexpected non-file " + source);
            }
            long size = Files.size(source);
            MessageDigest digest = Sha256.newDigest();
            tar.putArchiveEntry(entry(entryName, size, mtime));
            long copied = 0;
            try (InputStream in = Files.newInputStream(source)) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    if (abandoned) {
                        throw new IOException("packing was abandoned");
                    }
                    if (copied + n > size) {
                        throw new IOException(source + " grew while it was archived; was it written by another process?");
                    }
                    digest.update(buffer, 0, n);
                    alsoTo.write(buffer, 0, n);
                    tar.write(buffer, 0, n);
                    copied += n;
                    bytesCopied.accept(n);
                }
            }
            if (copied != size) {
                throw new IOException(source + " shrank while it was archived; was it written by another process?");
            }
            tar.closeArchiveEntry();
            Manifest.FileEntry written = new Manifest.FileEntry(entryName, size);
            sums.put(entryName, Sha256.hex(digest));
            files.add(written);
            return written;
        }

        /** The entries so far, in body order. */
        public synchronized List<Manifest.FileEntry> files() {
            return List.copyOf(files);
        }

        synchronized Map<String, String> sums() {
            return new LinkedHashMap<>(sums);
        }

        /** Ends the compressed stream (no tar end-of-archive blocks) and closes the file. Idempotent. */
        public synchronized void finish() throws IOException {
            if (finished) {
                return;
            }
            finished = true;
            try {
                compressed.close(); // flushes the compressor's trailer into the channel
            } finally {
                channel.close();
            }
        }

        /** Stops a copy in progress (from another thread) at its next buffer. */
        public void abandon() {
            abandoned = true;
        }

        /** Closes without finishing when {@link #finish} was not called; the caller deletes the file. */
        @Override
        public void close() {
            abandoned = true;
            synchronized (this) {
                if (!finished) {
                    finished = true;
                    try {
                        channel.close();
                    } catch (IOException ignored) {
                        // the file is deleted by its owner
                    }
                }
            }
        }
    }

    /** @param body the big stream (zstd worker threads); otherwise a small independent member/frame */
    private OutputStream compress(OutputStream out, boolean body) throws IOException {
        return switch (compression) {
            case GZIP -> {
                GzipParameters parameters = new GzipParameters();
                parameters.setCompressionLevel(0);
                parameters.setBufferSize(body ? BUFFER : 4096);
                yield new GzipCompressorOutputStream(out, parameters);
            }
            case ZSTD -> {
                ZstdOutputStream zstd = new ZstdOutputStream(out, 3);
                if (body && workers > 1) {
                    zstd.setWorkers(workers);
                }
                yield zstd;
            }
            case NONE -> out;
        };
    }

    /** 512-byte blocks: nothing is held back between entries, and finish() pads nothing beyond the EOF blocks. */
    private static TarArchiveOutputStream tar(OutputStream out) {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out, RECORD);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        return tar;
    }

    private static void putBytes(TarArchiveOutputStream tar, String name, byte[] content, Instant mtime) throws IOException {
        tar.putArchiveEntry(entry(name, content.length, mtime));
        tar.write(content);
        tar.closeArchiveEntry();
    }

    private static TarArchiveEntry entry(String name, long size, Instant mtime) {
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(size);
        entry.setMode(0100600);
        entry.setModTime(mtime.toEpochMilli());
        entry.setUserName("");
        entry.setGroupName("");
        return entry;
    }

    /** Passes close() on as a flush: the stream below belongs to someone else. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }

    private static final class CountingOutputStream extends java.io.FilterOutputStream {
        private long count;

        CountingOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
