package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.archive.ArchiveReader;
import dbtool.archive.Checksums;
import dbtool.archive.Manifest;
import dbtool.archive.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * A gzip archive rewritten as a plain .tar (gzip deflates the entries, so a changed byte there would be a gzip error,
 * not a damaged entry) with bytes of one entry's data changed, and a sidecar that matches the damaged file: only the
 * entry's own checksum can tell, and it is known only once the entry has streamed into COPY.
 */
final class DamagedArchive {

    /** Changes the bytes of an entry whose data starts at {@code start} in {@code tar} and is {@code size} long. */
    interface Damage {
        void apply(byte[] tar, int start, long size);
    }

    private DamagedArchive() {
    }

    static Path write(Path archive, Manifest.FileEntry entry, Path dir, Damage damage) throws IOException {
        byte[] bytes;
        try (InputStream in = GzipCompressorInputStream.builder().setInputStream(Files.newInputStream(archive))
                .setDecompressConcatenated(true).get()) {
            bytes = in.readAllBytes();
        }
        int header = indexOf(bytes, (entry.path() + "\0").getBytes(StandardCharsets.US_ASCII));
        assertThat(header).as("the entry's tar header").isNotNegative(); // 0 when it is the archive's first entry
        damage.apply(bytes, header + 512, entry.size());
        String name = archive.getFileName().toString().replace(".tar.gz", ".tar");
        Path damaged = Files.write(dir.resolve(name), bytes);
        Files.writeString(ArchiveReader.sidecarOf(damaged), Checksums.sidecarLine(Sha256.hex(bytes), name));
        return damaged;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
