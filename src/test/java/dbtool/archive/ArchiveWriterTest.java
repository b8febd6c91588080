package dbtool.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The archive is written as one stream of pieces (body member/frame, last member/frame) and reads as one tar. */
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
        return writeArchive(compression, order, false);
    }

    /** @param tocLast toc.dat into the last member (as export does), not the body */
    private Path writeArchive(Compression compression, List<String> order, boolean tocLast) throws IOException {
        Path dump = Files.createDirectories(dir.resolve("dump"));
        Random random = new Random(42);
        for (String name : order) {
            byte[] content = new byte[name.equals("toc.dat") ? 700 : 100_000 + random.nextInt(3_000_000)];
            random.nextBytes(content);
            Files.write(dump.resolve(name), content);
        }
        ArchiveWriter writer = new ArchiveWriter(compression, 2);
        Path target = dir.resolve("a.tar" + (compression == Compression.NONE ? "" : compression == Compression.GZIP ? ".gz" : ".zst"));
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                ArchiveWriter.Body body = writer.open(out, CREATED)) {
            for (String name : order) {
                if (!(tocLast && name.equals("toc.dat"))) {
                    body.add(dump.resolve(name), ArchiveLayout.DUMP_PREFIX + name, n -> {});
                }
            }
            if (tocLast) {
                body.addToLastMember(dump.resolve("toc.dat"), ArchiveLayout.DUMP_PREFIX + "toc.dat");
            }
            ArchiveWriter.Written written = body.finish(manifest(body.files()));
            out.close();
            assertThat(written.size()).isEqualTo(Files.size(target));
            assertThat(written.sha256()).isEqualTo(Sha256.hex(Files.readAllBytes(target)));
            Files.writeString(ArchiveReader.sidecarOf(target),
                    Checksums.sidecarLine(written.sha256(), target.getFileName().toString()));
        }
        return target;
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void piecesReadAsOneTarWithManifestAndChecksumsLast(Compression compression) throws Exception {
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
        assertThat(listing.lines().toList()).containsExactly("dump/3345.dat", "dump/3342.dat",
                "dump/toc.dat", "dump/3344.dat", "manifest.json", "SHA256SUMS");
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void theTailGivesTheTocWithTheManifestWhenItIsInTheLastMember(Compression compression) throws Exception {
        Path archive = writeArchive(compression, List.of("3345.dat", "toc.dat", "3342.dat"), true);
        TailEntries tail = ArchiveReader.readTail(ArchiveInput.of(archive)).orElseThrow();
        byte[] written = bytesOf("dump/toc.dat");
        assertThat(tail.toc()).hasValueSatisfying(toc -> assertThat(toc).isEqualTo(written));
        assertThat(tail.manifest().files()).extracting(Manifest.FileEntry::path)
                .containsExactly("dump/3345.dat", "dump/3342.dat", "dump/toc.dat");
        assertThat(tail.checksums().byName()).containsKeys("dump/3345.dat", "dump/toc.dat", "manifest.json");
        // Still one tar for everyone else: a full read, and the system's tar, see toc.dat just before the manifest.
        assertThat(ArchiveReader.read(archive, dir.resolve("x"), n -> {}).filesChecked()).isEqualTo(4);
        assertThat(Files.readAllBytes(dir.resolve("x/dump/toc.dat"))).isEqualTo(bytesOf("dump/toc.dat"));
    }

    @Test
    void aTocThatDoesNotMatchItsChecksumIsNotGiven() throws Exception {
        Path archive = writeArchive(Compression.NONE, List.of("3345.dat", "toc.dat"), true);
        byte[] bytes = Files.readAllBytes(archive);
        byte[] toc = bytesOf("dump/toc.dat");
        int at = java.util.Collections.indexOfSubList(java.util.Arrays.asList(box(bytes)), java.util.Arrays.asList(box(toc)));
        bytes[at + 10] ^= 0x20;
        Files.write(archive, bytes);
        TailEntries tail = ArchiveReader.readTail(ArchiveInput.of(archive)).orElseThrow();
        assertThat(tail.toc()).isEmpty();
    }

    @Test
    void anArchiveWithTheTocInItsBodyGivesTheManifestAlone() throws Exception {
        Path archive = writeArchive(Compression.GZIP, List.of("3345.dat", "toc.dat"));
        TailEntries tail = ArchiveReader.readTail(ArchiveInput.of(archive)).orElseThrow();
        assertThat(tail.toc()).isEmpty();
        assertThat(tail.manifest().files()).hasSize(2);
    }

    private byte[] bytesOf(String path) throws IOException {
        return Files.readAllBytes(dir.resolve(path));
    }

    private static Byte[] box(byte[] bytes) {
        Byte[] boxed = new Byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            boxed[i] = bytes[i];
        }
        return boxed;
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"GZIP", "ZSTD"})
    void theManifestIsInAnIndependentLastMemberOrFrame(Compression compression) throws Exception {
        Path archive = writeArchive(compression, List.of("3345.dat", "toc.dat"));
        byte[] bytes = Files.readAllBytes(archive);
        List<byte[]> pieces = new ArrayList<>();
        int offset = 0;
        while (offset < bytes.length) {
            byte[] rest = Arrays.copyOfRange(bytes, offset, bytes.length);
            int size;
            if (compression == Compression.GZIP) {
                // A member's length: what one member consumes of the input (the stream supports mark/reset).
                ByteArrayInputStream in = new ByteArrayInputStream(rest);
                try (InputStream member = GzipCompressorInputStream.builder().setInputStream(in)
                        .setDecompressConcatenated(false).get()) {
                    member.transferTo(OutputStream.nullOutputStream());
                }
                size = rest.length - in.available();
            } else {
                size = (int) Zstd.findFrameCompressedSize(rest);
            }
            pieces.add(Arrays.copyOfRange(bytes, offset, offset + size));
            offset += size;
        }
        assertThat(pieces).hasSizeGreaterThanOrEqualTo(2);
        byte[] last;
        try (InputStream in = compression == Compression.GZIP
                ? new GzipCompressorInputStream(new ByteArrayInputStream(pieces.get(pieces.size() - 1)))
                : new ZstdInputStream(new ByteArrayInputStream(pieces.get(pieces.size() - 1)))) {
            last = in.readAllBytes();
        }
        // The manifest's header, its padded content, SHA256SUMS, and the two end-of-archive blocks.
        assertThat(last.length % 512).isZero();
        assertThat(new String(last, 0, 13, StandardCharsets.US_ASCII)).isEqualTo("manifest.json");
        assertThat(last.length).isLessThan(512 * 20);
        assertThat(Arrays.copyOfRange(last, last.length - 1024, last.length)).isEqualTo(new byte[1024]);
    }

    /** inspect reads only the last member: the rest may be damaged (verify catches that), the manifest still shows. */
    @ParameterizedTest
    @EnumSource(Compression.class)
    void theManifestIsReadFromTheTailAlone(Compression compression) throws Exception {
        Path archive = writeArchive(compression, List.of("3345.dat", "3342.dat", "toc.dat"));
        byte[] bytes = Files.readAllBytes(archive);
        Arrays.fill(bytes, 100, bytes.length / 2, (byte) 0x1f); // the first half is garbage now
        Files.write(archive, bytes);
        assertThat(ArchiveReader.readManifest(archive).files()).extracting(Manifest.FileEntry::path)
                .containsExactly("dump/3345.dat", "dump/3342.dat", "dump/toc.dat");
        assertThatThrownBy(() -> ArchiveReader.read(archive, null, n -> {}))
                .isInstanceOfSatisfying(dbtool.DbToolException.class, e -> assertThat(e.exitCode()).isEqualTo(dbtool.ExitCode.ARCHIVE));
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"ZSTD"})
    void aFileThatChangesWhilePackedIsAnError(Compression compression) throws Exception {
        Path file = dir.resolve("1.dat");
        Files.write(file, new byte[10]);
        ArchiveWriter writer = new ArchiveWriter(compression, 1);
        try (ArchiveWriter.Body body = writer.open(OutputStream.nullOutputStream(), CREATED)) {
            body.add(file, "dump/1.dat", n -> {});
            assertThatThrownBy(() -> body.add(file, "dump/1.dat", n -> {})).hasMessageContaining("twice");
            assertThatThrownBy(() -> body.add(file, "manifest.json", n -> {})).hasMessageContaining("twice");
            assertThatThrownBy(() -> body.finish(manifest(List.of()))).isInstanceOf(IllegalArgumentException.class);
        }
    }

    /**
     * A file deflated while it is still written (a big table while pg_dump dumps it) joins the archive between
     * ordinary entries: the archive reads as one tar whose checksums match, with system tar too; with igzip's
     * members (when installed) and with zlib's.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void aFileDeflatedWhileWrittenJoinsTheArchiveAsItsOwnMembers(boolean igzip) throws Exception {
        Path dump = Files.createDirectories(dir.resolve("dump"));
        Random random = new Random(3);
        byte[] before = new byte[700_001];
        random.nextBytes(before);
        Files.write(dump.resolve("1.dat"), before);
        StringBuilder text = new StringBuilder();
        for (int row = 0; text.length() < 5_000_000; row++) {
            text.append(row).append('\t').append(Long.toHexString(random.nextLong())).append('\n');
        }
        byte[] growing = text.toString().getBytes(StandardCharsets.US_ASCII);
        Path growingFile = dump.resolve("2.dat");
        Files.write(growingFile, new byte[0]);

        ArchiveWriter writer = new ArchiveWriter(Compression.GZIP, 2, null,
                igzip ? Igzip.find() : java.util.Optional.empty());
        Path target = dir.resolve("a.tar.gz");
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                ArchiveWriter.Body body = writer.open(out, CREATED)) {
            assertThat(body.deflatesWhileWritten()).isTrue();
            GrowingFileEntry entry = body.startGrowing(growingFile, dir.resolve("2.dat.gz.part"), seen);
            // The writer appends in pieces while the first file is packed the ordinary way.
            Thread appender = new Thread(() -> {
                try (OutputStream append = Files.newOutputStream(growingFile, StandardOpenOption.APPEND)) {
                    for (int at = 0; at < growing.length; at += 100_000) {
                        append.write(growing, at, Math.min(100_000, growing.length - at));
                        append.flush();
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            appender.start();
            body.add(dump.resolve("1.dat"), "dump/1.dat", n -> {});
            appender.join();
            try (entry) {
                assertThat(body.addGrowing(entry, "dump/2.dat").size()).isEqualTo(growing.length);
            }
            assertThat(dir.resolve("2.dat.gz.part")).doesNotExist();
            body.add(dump.resolve("1.dat"), "dump/3.dat", n -> {});
            ArchiveWriter.Written written = body.finish(manifest(body.files()));
            out.close();
            Files.writeString(ArchiveReader.sidecarOf(target), Checksums.sidecarLine(written.sha256(), "a.tar.gz"));
        }
        assertThat(seen.toByteArray()).as("every byte shown to alsoTo").isEqualTo(growing);

        ArchiveReader.Result result = ArchiveReader.read(target, dir.resolve("x"), n -> {});
        assertThat(result.manifest().files()).extracting(Manifest.FileEntry::path)
                .containsExactly("dump/1.dat", "dump/2.dat", "dump/3.dat");
        assertThat(Files.readAllBytes(dir.resolve("x/dump/2.dat"))).isEqualTo(growing);
        assertThat(Files.readAllBytes(dir.resolve("x/dump/3.dat"))).isEqualTo(before);
        assertThat(ArchiveReader.readManifest(target).files()).hasSize(3);

        Path unpacked = Files.createDirectories(dir.resolve("by-hand"));
        Process tar = new ProcessBuilder("tar", "-xzf", target.toString(), "-C", unpacked.toString())
                .redirectErrorStream(true).start();
        String output = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(tar.waitFor()).as(output).isZero();
        Process sums = new ProcessBuilder("sha256sum", "-c", "SHA256SUMS").directory(unpacked.toFile())
                .redirectErrorStream(true).start();
        String checked = new String(sums.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(sums.waitFor()).as(checked).isZero();
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"ZSTD", "NONE"})
    void onlyGzipDeflatesWhileWritten(Compression compression) throws Exception {
        try (ArchiveWriter.Body body = new ArchiveWriter(compression, 2).open(OutputStream.nullOutputStream(), CREATED)) {
            assertThat(body.deflatesWhileWritten()).isFalse();
        }
    }

    /** An export that fails while a file is deflated as it grows leaves no thread and no scratch file behind. */
    @org.junit.jupiter.api.Test
    void closingWithoutFinishingEndsEveryThreadAndRemovesTheScratchFile() throws Exception {
        Path file = dir.resolve("9.dat");
        Files.write(file, new byte[3 << 20]);
        Path scratch = dir.resolve("9.dat.gz.part");
        try (ArchiveWriter.Body body = new ArchiveWriter(Compression.GZIP, 2).open(OutputStream.nullOutputStream(), CREATED);
                GrowingFileEntry entry = body.startGrowing(file, scratch, OutputStream.nullOutputStream())) {
            body.add(file, "dump/1.dat", n -> {});
            assertThat(scratch).exists(); // never completed: its writer "still writes"
        }
        assertThat(scratch).doesNotExist();
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.isAlive()
                && (t.getName().startsWith("dbtool-gzip-") || t.getName().startsWith("dbtool-deflate-")));
    }
}
