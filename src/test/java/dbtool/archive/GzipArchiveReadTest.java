package dbtool.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.crypto.Decryptor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A gzip archive reads the same whether igzip inflates it or zlib in this JVM (igzip not on PATH, or it does not
 * start): both refuse an archive cut short, damaged, or with anything after its last member. No sidecar here, which
 * would catch most of it on its own.
 */
class GzipArchiveReadTest {

    private static final Instant CREATED = Instant.parse("2026-12-02T10:00:00Z");

    @TempDir
    Path dir;

    @AfterEach
    void nothingOutlivesTheRead() {
        IgzipInputStreamTest.assertNoIgzipLeft();
    }

    /** The two ways to inflate; igzip only where installed. */
    private static Optional<Path> inflater(String which) {
        return switch (which) {
            case "igzip" -> {
                Optional<Path> igzip = Igzip.find();
                assumeTrue(igzip.isPresent(), "igzip (Debian package isal) is not installed");
                yield igzip;
            }
            case "jvm" -> Optional.empty();
            case "igzip that does not start" -> Optional.of(Path.of("/nonexistent/dbtool-test/igzip"));
            default -> throw new IllegalArgumentException(which);
        };
    }

    private Path writeArchive() throws IOException {
        Path dump = Files.createDirectories(dir.resolve("dump"));
        Random random = new Random(42);
        List<String> names = List.of("3345.dat", "toc.dat", "3342.dat");
        for (String name : names) {
            StringBuilder rows = new StringBuilder();
            while (rows.length() < (name.equals("toc.dat") ? 700 : 400_000)) {
                rows.append(random.nextInt()).append('\t').append(Long.toHexString(random.nextLong())).append('\n');
            }
            Files.writeString(dump.resolve(name), rows);
        }
        Path target = dir.resolve("a.tar.gz");
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                ArchiveWriter.Body body = new ArchiveWriter(Compression.GZIP, 2).open(out, CREATED)) {
            for (String name : names) {
                body.add(dump.resolve(name), ArchiveLayout.DUMP_PREFIX + name, n -> {});
            }
            body.finish(new Manifest(Manifest.FORMAT, Manifest.FORMAT_VERSION, "test", CREATED.toString(), "shop",
                    new Manifest.Source("localhost", 5432, "shop", "postgres"), "15.8", "15.8", "directory", "x",
                    "none", "snapshot", List.of(), List.of(), body.files()));
        }
        return target;
    }

    private ArchiveReader.Result read(Path archive, String which) {
        return ArchiveReader.read(ArchiveInput.of(archive), dir.resolve("x-" + System.nanoTime()), n -> {},
                Decryptor.NONE, null, null, inflater(which));
    }

    private void assertRefused(Path archive, String which) {
        assertThatThrownBy(() -> read(archive, which)).isInstanceOfSatisfying(DbToolException.class,
                e -> assertThat(e.exitCode()).as(e.getMessage()).isEqualTo(ExitCode.ARCHIVE));
    }

    private static Path change(Path archive, java.util.function.UnaryOperator<byte[]> how) throws IOException {
        Files.write(archive, how.apply(Files.readAllBytes(archive)));
        return archive;
    }

    @ParameterizedTest
    @ValueSource(strings = {"igzip", "jvm", "igzip that does not start"})
    void aGoodArchiveReadsTheSame(String which) throws IOException {
        Path archive = writeArchive();
        ArchiveReader.Result result = read(archive, which);
        assertThat(result.filesChecked()).isEqualTo(4);
        assertThat(result.archiveBytes()).isEqualTo(Files.size(archive));
    }

    static Stream<Arguments> garbage() {
        return Stream.of("igzip", "jvm").flatMap(which -> Stream.of("GARBAGE", "\0\0\0\0", "\u001f", "\u001f\0", "x")
                .map(garbage -> Arguments.of(which, garbage)));
    }

    /** igzip alone would accept all of these: it stops at bytes that do not start a member, and exits 0. */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("garbage")
    void garbageAfterTheLastMemberIsRefused(String which, String garbage) throws IOException {
        Path archive = change(writeArchive(), bytes -> {
            byte[] tail = garbage.getBytes(StandardCharsets.ISO_8859_1);
            byte[] all = Arrays.copyOf(bytes, bytes.length + tail.length);
            System.arraycopy(tail, 0, all, bytes.length, tail.length);
            return all;
        });
        assertRefused(archive, which);
    }

    static Stream<Arguments> cuts() {
        return Stream.of("igzip", "jvm").flatMap(which -> Stream.of(1, 4, 8, 20, 1100, 100_000).map(cut -> Arguments.of(which, cut)));
    }

    @ParameterizedTest(name = "{0}: {1} bytes short")
    @MethodSource("cuts")
    void anArchiveCutShortIsRefused(String which, int cut) throws IOException {
        assertRefused(change(writeArchive(), bytes -> Arrays.copyOf(bytes, bytes.length - cut)), which);
    }

    static Stream<Arguments> flips() {
        // From the end: the last member's CRC-32 and length; from the start: method, reserved flag bit.
        return Stream.of("igzip", "jvm").flatMap(which -> Stream.of(-8, -5, -2, 2, 3).map(at -> Arguments.of(which, at)));
    }

    @ParameterizedTest(name = "{0}: byte {1}")
    @MethodSource("flips")
    void aDamagedHeaderOrTrailerIsRefused(String which, int at) throws IOException {
        assertRefused(change(writeArchive(), bytes -> {
            bytes[at < 0 ? bytes.length + at : at] ^= 0x20;
            return bytes;
        }), which);
    }

    /** A target that fails stops the read: igzip and its feeder end with it. */
    @ParameterizedTest
    @ValueSource(strings = {"igzip", "jvm"})
    void aFailingTargetEndsTheRead(String which) throws IOException {
        Path archive = writeArchive();
        IOException failed = new IOException("the server went away");
        ArchiveReader.EntryTarget target = new ArchiveReader.EntryTarget() {
            @Override
            public OutputStream open(String entryName, long size) throws IOException {
                throw failed;
            }

            @Override
            public void written(String entryName, String sha256) {}
        };
        assertThatThrownBy(() -> ArchiveReader.read(ArchiveInput.of(archive), dir.resolve("x"), n -> {}, Decryptor.NONE,
                null, target, inflater(which))).isInstanceOf(DbToolException.class).hasRootCauseMessage("the server went away");
    }
}
