package dbtool.archive;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
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
 * Streams a pg_dump directory into one tar: manifest.json first (so inspect reads only the head),
 * then dump/, then SHA256SUMS last, as the completion marker. Each file is hashed while it is copied,
 * and the compressed bytes are hashed on their way to disk for the sidecar: one pass, flat memory.
 */
public final class ArchiveWriter {

    private static final int BUFFER = 1 << 20;

    private final Compression compression;
    private final int workers;

    /**
     * @param compression outer codec. For gzip the dump files are already compressed by pg_dump's
     *     parallel workers, so the outer gzip only stores them: a second deflate pass would double the
     *     CPU for a few percent of size.
     * @param workers zstd compression threads
     */
    public ArchiveWriter(Compression compression, int workers) {
        this.compression = compression;
        this.workers = workers;
    }

    /** What was written: the archive's own SHA-256 (for the sidecar) and its size. */
    public record Written(String sha256, long size) {}

    public Written write(Path dumpDir, Manifest manifest, Path target, LongConsumer bytesCopied) throws IOException {
        MessageDigest archiveDigest = Sha256.newDigest();
        Instant mtime = Instant.parse(manifest.createdAt());
        try (FileChannel channel = FileChannel.open(target, java.util.Set.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            CountingOutputStream counted = new CountingOutputStream(
                    new DigestOutputStream(Channels.newOutputStream(channel), archiveDigest));
            // Closing the tar must close the compressor (its trailer) but not the channel: it is fsynced below.
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(compress(new BufferedOutputStream(counted, BUFFER)))) {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                Map<String, String> sums = new LinkedHashMap<>();
                byte[] manifestBytes = ManifestJson.write(manifest);
                sums.put(ArchiveLayout.MANIFEST, Sha256.hex(manifestBytes));
                putBytes(tar, ArchiveLayout.MANIFEST, manifestBytes, mtime);
                byte[] buffer = new byte[BUFFER];
                for (Manifest.FileEntry file : manifest.files()) {
                    Path source = dumpDir.resolve(file.path().substring(ArchiveLayout.DUMP_PREFIX.length()));
                    sums.put(file.path(), putFile(tar, file, source, mtime, buffer, bytesCopied));
                }
                List<String> order = new ArrayList<>(sums.keySet());
                putBytes(tar, ArchiveLayout.CHECKSUMS, new Checksums(sums).toBytes(order), mtime);
                tar.finish();
            }
            channel.force(true);
            return new Written(Sha256.hex(archiveDigest), counted.count);
        }
    }

    private OutputStream compress(OutputStream out) throws IOException {
        return switch (compression) {
            case GZIP -> {
                GzipParameters parameters = new GzipParameters();
                parameters.setCompressionLevel(0);
                parameters.setBufferSize(BUFFER);
                yield new GzipCompressorOutputStream(out, parameters);
            }
            case ZSTD -> {
                ZstdOutputStream zstd = new ZstdOutputStream(out, 3);
                if (workers > 1) {
                    zstd.setWorkers(workers);
                }
                yield zstd;
            }
            case NONE -> out;
        };
    }

    private static void putBytes(TarArchiveOutputStream tar, String name, byte[] content, Instant mtime) throws IOException {
        tar.putArchiveEntry(entry(name, content.length, mtime));
        tar.write(content);
        tar.closeArchiveEntry();
    }

    private static String putFile(TarArchiveOutputStream tar, Manifest.FileEntry file, Path source, Instant mtime,
            byte[] buffer, LongConsumer bytesCopied) throws IOException {
        MessageDigest digest = Sha256.newDigest();
        tar.putArchiveEntry(entry(file.path(), file.size(), mtime));
        long copied = 0;
        try (InputStream in = Files.newInputStream(source)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                if (copied + n > file.size()) {
                    throw new IOException(source + " grew while it was archived; was it written by another process?");
                }
                digest.update(buffer, 0, n);
                tar.write(buffer, 0, n);
                copied += n;
                bytesCopied.accept(n);
            }
        }
        if (copied != file.size()) {
            throw new IOException(source + " shrank while it was archived; was it written by another process?");
        }
        tar.closeArchiveEntry();
        return Sha256.hex(digest);
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
