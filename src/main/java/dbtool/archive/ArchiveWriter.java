package dbtool.archive;

import com.github.luben.zstd.ZstdOutputStream;
import dbtool.crypto.AgeEncryption;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongConsumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;

/**
 * Writes an archive as one sequential stream straight into its destination (a file, an upload), so packing and
 * uploading run while pg_dump still writes and no copy of the archive is staged on local disk:
 *
 * <ol>
 *   <li>a {@link Body}: the dump/ tar entries, in whatever order the files become complete, through the
 *       compressor into the target, without tar's end-of-archive blocks. Each file is hashed while it is copied.
 *   <li>{@link Body#finish}: ends the body's gzip member / zstd frame and writes one last member/frame holding
 *       the files given to {@link Body#addToLastMember} (toc.dat), manifest.json, SHA256SUMS and tar's
 *       end-of-archive blocks. Concatenated gzip members and zstd frames
 *       decompress to one continuous tar stream, so tar sees dump/ first and manifest.json, SHA256SUMS last.
 * </ol>
 *
 * <p>The manifest comes last because it is only known at the end (row counts, the list of files); being in its
 * own small final member/frame, {@link ArchiveReader#readManifest} finds it from the archive's tail without
 * reading the rest. The archive's own SHA-256 (for the sidecar) and size are computed while it is written.
 *
 * <p>With encryption, that whole byte stream goes through age on its way into the target (the sidecar is of
 * the encrypted bytes).
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
    /** ISA-L's igzip, which makes the gzip body when installed (see {@link GzipMembersOutputStream}). */
    private final Optional<Path> igzip;

    /**
     * gzip's level for the body: see the README's Performance section for the measurements behind it (size
     * against pg_dump -Fc, time against pg_dump -Z1 + tar).
     */
    static final int GZIP_LEVEL = 1;
    /** More deflating threads than this would only hold more blocks in memory: the packer cannot feed them. */
    private static final int MAX_GZIP_THREADS = 16;

    /**
     * @param compression outer codec. The dump files are uncompressed (pg_dump -Z0) and the body is compressed
     *     here, on {@code workers} threads (gzip: igzip if installed, one process per stream, else independent
     *     members of 1 MiB blocks; zstd: its own workers).
     * @param workers compression threads for the body
     * @param encryption the recipients the archive is encrypted to, or null for plaintext
     */
    public ArchiveWriter(Compression compression, int workers, AgeEncryption encryption) {
        this(compression, workers, encryption,
                compression == Compression.GZIP ? Igzip.find() : Optional.empty());
    }

    /** @param igzip the igzip executable to use for a gzip body, or empty for zlib in this JVM */
    ArchiveWriter(Compression compression, int workers, AgeEncryption encryption, Optional<Path> igzip) {
        this.compression = compression;
        this.workers = workers;
        this.encryption = encryption;
        this.igzip = igzip;
    }

    /** A plaintext archive. */
    public ArchiveWriter(Compression compression, int workers) {
        this(compression, workers, null);
    }

    /** What was written: the archive's own SHA-256 (for the sidecar) and its size. */
    public record Written(String sha256, long size) {}

    /**
     * Starts an archive in {@code target} (a file, an upload), which is neither closed nor synced: its owner
     * commits or aborts it. Entries get {@code mtime}.
     */
    public Body open(OutputStream target, Instant mtime) throws IOException {
        return new Body(target, mtime);
    }

    /**
     * An archive under construction. {@link #add} may be called from one thread at a time (it is synchronized);
     * a file must be complete when it is added, and it must not change while it is copied: growing or shrinking
     * is an error.
     */
    public final class Body implements Closeable {
        private final Instant mtime;
        private final MessageDigest archiveDigest = Sha256.newDigest();
        private final CountingOutputStream counted;
        /** The stored bytes (age-encrypted when the archive is): every member/frame goes through it. */
        private final OutputStream out;
        private final OutputStream compressed;
        private final TarArchiveOutputStream tar;
        private final Map<String, String> sums = new LinkedHashMap<>();
        private final List<Manifest.FileEntry> files = new ArrayList<>();
        /** Small files that go into the last member, before manifest.json (see {@link #addToLastMember}). */
        private final Map<String, byte[]> last = new LinkedHashMap<>();
        private final byte[] buffer = new byte[BUFFER];
        private volatile boolean abandoned;
        private boolean finished;

        private Body(OutputStream target, Instant mtime) throws IOException {
            this.mtime = mtime;
            this.counted = new CountingOutputStream(new DigestOutputStream(new NonClosingOutputStream(target), archiveDigest));
            this.out = new BufferedOutputStream(encryption == null ? counted : encryption.encrypt(counted), BUFFER);
            this.compressed = compress(new NonClosingOutputStream(out), true);
            this.tar = tar(compressed);
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
                throw new IllegalStateException("archive already finished");
            }
            requireNew(entryName);
            if (!last.isEmpty()) {
                throw new IllegalStateException("the body ends where the last member's files begin");
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

        private void requireNew(String entryName) throws IOException {
            if (sums.containsKey(entryName) || entryName.equals(ArchiveLayout.MANIFEST)
                    || entryName.equals(ArchiveLayout.CHECKSUMS)) {
                throw new IOException(entryName + " was packed twice");
            }
        }

        /**
         * Puts a small file (toc.dat) into the last member, before manifest.json, instead of the body: a reader of the
         * archive's tail then has the dump's table of contents together with the manifest, before it reads the body,
         * and a streaming import can create the tables and load each one as its data comes by. Read now (it must be
         * complete); no {@link #add} may follow.
         */
        public synchronized Manifest.FileEntry addToLastMember(Path source, String entryName) throws IOException {
            if (finished) {
                throw new IllegalStateException("archive already finished");
            }
            requireNew(entryName);
            if (!Files.isRegularFile(source, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException("pg_dump left an unexpected non-file " + source);
            }
            byte[] content = Files.readAllBytes(source);
            last.put(entryName, content);
            sums.put(entryName, Sha256.hex(content));
            Manifest.FileEntry written = new Manifest.FileEntry(entryName, content.length);
            files.add(written);
            return written;
        }

        /**
         * Whether {@link #startGrowing} can deflate a file while it is still written: with gzip, whose members can be
         * made apart from the body and joined to it later.
         */
        public boolean deflatesWhileWritten() {
            return compressed instanceof GzipMembersOutputStream;
        }

        /**
         * Starts deflating {@code source} while it is still written, into {@code scratch} (a new file); every byte
         * is also written to {@code alsoTo}. Add it with {@link #addGrowing} once its writer closed it.
         */
        public GrowingFileEntry startGrowing(Path source, Path scratch, OutputStream alsoTo) throws IOException {
            if (!deflatesWhileWritten()) {
                throw new IllegalStateException("only a gzip body takes entries deflated while written");
            }
            return new GrowingFileEntry(source, scratch, alsoTo, gzipThreads(), GZIP_LEVEL, igzip);
        }

        /**
         * Completes {@code growing} (its file is whole now), waits for its last members and appends it as
         * {@code entryName}: its tar header, then its members as they are.
         */
        public Manifest.FileEntry addGrowing(GrowingFileEntry growing, String entryName) throws IOException {
            growing.complete();
            growing.await();
            synchronized (this) {
                if (finished) {
                    throw new IllegalStateException("archive already finished");
                }
                if (abandoned) {
                    throw new IOException("packing was abandoned");
                }
                requireNew(entryName);
                // The header as tar writes it (with a PAX header first when the size needs one), into the body's
                // current member; the content and its padding follow as the members deflated meanwhile.
                java.io.ByteArrayOutputStream header = new java.io.ByteArrayOutputStream(2 * RECORD);
                tar(header).putArchiveEntry(entry(entryName, growing.size(), mtime));
                compressed.write(header.toByteArray());
                try (InputStream members = Files.newInputStream(growing.members())) {
                    ((GzipMembersOutputStream) compressed).appendMembers(members);
                }
                Manifest.FileEntry written = new Manifest.FileEntry(entryName, growing.size());
                sums.put(entryName, growing.sha256());
                files.add(written);
                return written;
            }
        }

        /** The entries so far, in archive order. */
        public synchronized List<Manifest.FileEntry> files() {
            return List.copyOf(files);
        }

        /**
         * Ends the archive: the body's member/frame, then a last one with the manifest (whose files must be this
         * body's files), SHA256SUMS and tar's end-of-archive blocks; flushes the target but neither closes nor
         * syncs it.
         */
        public synchronized Written finish(Manifest manifest) throws IOException {
            if (finished) {
                throw new IllegalStateException("archive already finished");
            }
            if (!manifest.files().equals(files)) {
                throw new IllegalArgumentException("the manifest's files are not the archive's files");
            }
            finished = true;
            compressed.close(); // the body member's trailer; the tar itself is not finished here

            byte[] manifestBytes = ManifestJson.write(manifest);
            Map<String, String> all = new LinkedHashMap<>(sums);
            all.put(ArchiveLayout.MANIFEST, Sha256.hex(manifestBytes));
            OutputStream lastMember = compress(new NonClosingOutputStream(out), false);
            TarArchiveOutputStream lastTar = tar(lastMember);
            for (Map.Entry<String, byte[]> file : last.entrySet()) {
                putBytes(lastTar, file.getKey(), file.getValue(), mtime);
            }
            putBytes(lastTar, ArchiveLayout.MANIFEST, manifestBytes, mtime);
            putBytes(lastTar, ArchiveLayout.CHECKSUMS, new Checksums(all).toBytes(new ArrayList<>(all.keySet())), mtime);
            lastTar.finish(); // tar's end-of-archive blocks
            lastMember.close();
            out.close(); // age's last chunk; closing counted only flushes, the target stays open
            return new Written(Sha256.hex(archiveDigest), counted.count);
        }

        /** Stops a copy in progress (from another thread) at its next buffer. */
        public void abandon() {
            abandoned = true;
        }

        /**
         * Without {@link #finish}: stops here and writes nothing more; the target's owner aborts it (an archive
         * without its manifest and SHA256SUMS is never taken for a whole one).
         */
        @Override
        public void close() {
            abandoned = true;
            synchronized (this) {
                if (!finished && compressed instanceof GzipMembersOutputStream parallel) {
                    parallel.abort(); // its deflating threads end here, whatever the target did
                }
                finished = true;
            }
        }
    }

    /** @param body the big stream (zstd worker threads); otherwise a small independent member/frame */
    private OutputStream compress(OutputStream out, boolean body) throws IOException {
        return switch (compression) {
            case GZIP -> {
                if (body) {
                    yield GzipMembersOutputStream.open(out, gzipThreads(), GZIP_LEVEL, igzip);
                }
                GzipParameters parameters = new GzipParameters();
                parameters.setCompressionLevel(GZIP_LEVEL);
                parameters.setBufferSize(4096);
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

    private int gzipThreads() {
        return Math.max(1, Math.min(workers, Math.min(MAX_GZIP_THREADS, Runtime.getRuntime().availableProcessors())));
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
