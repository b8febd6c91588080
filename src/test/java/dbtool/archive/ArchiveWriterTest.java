package dbtool.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The archive is assembled from pieces (head member/frame, body, tail) and still reads as one tar. */
class ArchiveWriterTest {

    private static final Instant CREATED = Instant.parse("2026-11-25T23:00:38Z");

    @TempDir
    Path dir;

    private Manifest manifest(List<Manifest.FileEntry> files) {
        return new Manifest(Manifest.FORMAT, Manifest.FORMAT_VERSION, "test", CREATED.toString(), "shop",
                new Manifest.Source("localhost", 5432, "shop", "postgres"), "15.8", "15.8", "directory",
                "x", "none", "snapshot", List.of(), List.of(), files);
    }

    private Path writeArchive(Compression compression, List<String> order) throws IOException {
        Path dump = Files.createDirectories(dir.resolve("dump"));
        Random random = new Random(42);
        for (String name : order) {
            byte[] content = new byte[name.equals("toc.dat") ? 700 : 100_000 + random.nextInt(3_000_000)];
            random.nextBytes(content);
            Files.write(dump.resolve(name), content);
        }
        ArchiveWriter writer = new ArchiveWriter(compression, 2);
        Path target = dir.resolve("a.tar" + (compression == Compression.NONE ? "" : compression == Compression.GZIP ? ".gz" : ".zst"));
        try (ArchiveWriter.Body body = writer.openBody(dir.resolve(".a.body"), CREATED)) {
            for (String name : order) {
                body.add(dump.resolve(name), ArchiveLayout.DUMP_PREFIX + name, n -> {});
            }
            body.finish();
            ArchiveWriter.Written written = writer.assemble(body, manifest(body.files()), target);
            assertThat(written.size()).isEqualTo(Files.size(target));
            assertThat(written.sha256()).isEqualTo(Sha256.hex(Files.readAllBytes(target)));
            Files.writeString(ArchiveReader.sidecarOf(target),
                    Checksums.sidecarLine(written.sha256(), target.getFileName().toString()));
        }
        return target;
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void piecesReadAsOneTarWithManifestFirstAndChecksumsLast(Compression compression) throws Exception {
        List<String> order = List.of("3345.dat", "3342.dat", "toc.dat", "3344.dat");
        Path archive = writeArchive(compression, order);

        ArchiveReader.Result result = ArchiveReader.read(archive, dir.resolve("x"), n -> {});
        assertThat(result.sidecarChecked()).isTrue();
        assertThat(result.manifest().files()).extracting(Manifest.FileEntry::path)
                .containsExactly("dump/3345.dat", "dump/3342.dat", "dump/toc.dat", "dump/3344.dat");
        for (String name : order) {
            assertThat(Files.readAllBytes(dir.resolve("x/dump/" + name))).isEqualTo(Files.readAllBytes(dir.resolve("dump/" + name)));
        }
        assertThat(ArchiveReader.readManifest(archive).files()).hasSize(4);

        // System tar lists the same order and reaches a clean end of archive.
        String flag = switch (compression) {
            case GZIP -> "-z";
            case ZSTD -> "--zstd";
            case NONE -> "--no-auto-compress";
        };
        Process tar = new ProcessBuilder("tar", flag, "-tf", archive.toString()).redirectErrorStream(true).start();
        String listing = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(tar.waitFor()).as(listing).isZero();
        assertThat(listing.lines().toList()).containsExactly("manifest.json", "dump/3345.dat", "dump/3342.dat",
                "dump/toc.dat", "dump/3344.dat", "SHA256SUMS");
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"GZIP", "ZSTD"})
    void theManifestIsAnIndependentFirstMemberOrFrame(Compression compression) throws Exception {
        Path archive = writeArchive(compression, List.of("3345.dat", "toc.dat"));
        byte[] bytes = Files.readAllBytes(archive);
        byte[] first;
        int members;
        if (compression == Compression.GZIP) {
            try (InputStream in = GzipCompressorInputStream.builder().setInputStream(new ByteArrayInputStream(bytes))
                    .setDecompressConcatenated(false).get()) {
                first = in.readAllBytes();
            }
            members = -1;
        } else {
            List<byte[]> frames = new ArrayList<>();
            int offset = 0;
            while (offset < bytes.length) {
                int size = (int) Zstd.findFrameCompressedSize(Arrays.copyOfRange(bytes, offset, bytes.length));
                frames.add(Arrays.copyOfRange(bytes, offset, offset + size));
                offset += size;
            }
            try (InputStream in = new ZstdInputStream(new ByteArrayInputStream(frames.get(0)))) {
                first = in.readAllBytes();
            }
            members = frames.size();
            assertThat(members).isGreaterThanOrEqualTo(3);
        }
        // Exactly one tar header record plus the padded manifest: no end-of-archive blocks inside.
        assertThat(first.length % 512).isZero();
        assertThat(new String(first, 0, 13, StandardCharsets.US_ASCII)).isEqualTo("manifest.json");
        assertThat(first.length).isLessThan(512 * 20);
        assertThat(Arrays.copyOfRange(first, first.length - 1024, first.length)).isNotEqualTo(new byte[1024]);
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"ZSTD"})
    void aFileThatChangesWhilePackedIsAnError(Compression compression) throws Exception {
        Path file = dir.resolve("1.dat");
        Files.write(file, new byte[10]);
        ArchiveWriter writer = new ArchiveWriter(compression, 1);
        try (ArchiveWriter.Body body = writer.openBody(dir.resolve(".b.body"), CREATED)) {
            body.add(file, "dump/1.dat", n -> {});
            assertThatThrownBy(() -> body.add(file, "dump/1.dat", n -> {})).hasMessageContaining("twice");
            assertThatThrownBy(() -> writer.assemble(body, manifest(List.of()), dir.resolve("c.tar.zst")))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
