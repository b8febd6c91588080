package dbtool.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dbtool.archive.ArchiveLayout;
import dbtool.archive.ArchiveReader;
import dbtool.archive.ArchiveWriter;
import dbtool.archive.Checksums;
import dbtool.archive.Compression;
import dbtool.archive.Manifest;
import dbtool.testing.CliRun;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Archives encrypted while they are written, read back by dbtool and by the real age CLI (Debian's age
 * package, which .ci/run installs), and every way reading one can go wrong: no key, the wrong key, a
 * changed or cut file even when its sidecar was made to match.
 */
class EncryptedArchiveTest {

    private static final Instant CREATED = Instant.parse("2026-11-25T23:00:38Z");

    @TempDir
    Path dir;

    private Path key;
    private String publicKey;

    @BeforeEach
    void keygen() {
        key = dir.resolve("key.txt");
        CliRun run = CliRun.of("keygen", key.toString());
        assertThat(run.exitCode()).as(run.toString()).isZero();
        publicKey = run.lastOutLine();
    }

    private Path writeArchive(Compression compression, String name) throws IOException {
        return writeArchive(compression, name, 400_000);
    }

    private Path writeArchive(Compression compression, String name, int dataBytes) throws IOException {
        Path dump = Files.createDirectories(dir.resolve("dump-" + name));
        Random random = new Random(7);
        List<String> files = List.of("3341.dat", "toc.dat");
        for (String file : files) {
            byte[] content = new byte[file.equals("toc.dat") ? 900 : dataBytes];
            random.nextBytes(content);
            Files.write(dump.resolve(file), file.equals("toc.dat")
                    ? "TABLE DATA public customer_cards postgres\n".repeat(20).getBytes(StandardCharsets.UTF_8) : content);
        }
        ArchiveWriter writer = new ArchiveWriter(compression, 1, AgeEncryption.toRecipients(List.of(publicKey)));
        Path target = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                ArchiveWriter.Body body = writer.open(out, CREATED)) {
            for (String file : files) {
                body.add(dump.resolve(file), ArchiveLayout.DUMP_PREFIX + file, n -> {});
            }
            Manifest manifest = new Manifest(Manifest.FORMAT, Manifest.FORMAT_VERSION, "test", CREATED.toString(),
                    "secret_project", new Manifest.Source("localhost", 5432, "shop", "postgres"), "15.8", "15.8",
                    "directory", compression.cliName(), "none", "snapshot",
                    List.of(new Manifest.Table("public", "customer_cards", "table", 42L, 8192L, null)),
                    List.of(), body.files());
            ArchiveWriter.Written written = body.finish(manifest);
            writeSidecar(target, written.sha256());
        }
        return target;
    }

    private static void writeSidecar(Path archive, String sha256) throws IOException {
        Files.writeString(ArchiveReader.sidecarOf(archive), Checksums.sidecarLine(sha256, archive.getFileName().toString()));
    }

    @Test
    void keygenWritesAPrivateKeyFileLikeAgeKeygen() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        assertThat(publicKey).matches("age1[a-z0-9]{58}");
        List<String> lines = Files.readAllLines(key);
        assertThat(lines.get(1)).isEqualTo("# public key: " + publicKey);
        assertThat(lines.get(2)).startsWith("AGE-SECRET-KEY-1");
        // age-keygen -y derives the same public key from the file: it is a real age identity.
        assertThat(run(List.of("age-keygen", "-y", key.toString())).strip()).isEqualTo(publicKey);

        CliRun again = CliRun.of("keygen", key.toString());
        assertThat(again.exitCode()).isEqualTo(2);
        assertThat(again.errLines()).singleElement().asString().contains("already exists");
        assertThat(Files.readAllLines(key)).isEqualTo(lines);
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void theAgeCliDecryptsWhatDbtoolWroteIntoTheNormalTar(Compression compression) throws Exception {
        Path archive = writeArchive(compression, "shop" + compression.extension() + ".age");
        byte[] bytes = Files.readAllBytes(archive);
        assertThat(new String(bytes, 0, 22, StandardCharsets.US_ASCII)).isEqualTo("age-encryption.org/v1\n");
        // The manifest (table names, row counts) is inside the encryption.
        assertThat(new String(bytes, StandardCharsets.ISO_8859_1)).doesNotContain("customer_cards", "manifest.json");

        Path restore = Files.createDirectories(dir.resolve("restore"));
        String tarFlags = switch (compression) {
            case GZIP -> "xzf";
            case ZSTD -> "--zstd -xf";
            case NONE -> "xf";
        };
        run(List.of("sh", "-c", "age -d -i '" + key + "' '" + archive + "' | tar " + tarFlags + " - -C '" + restore + "'"));
        assertThat(restore.resolve("manifest.json")).content().contains("customer_cards");
        assertThat(run(List.of("sh", "-c", "cd '" + restore + "' && sha256sum -c SHA256SUMS"))).contains("dump/3341.dat: OK");
        // The sidecar is of the encrypted file: checked without the key.
        assertThat(run(List.of("sh", "-c", "cd '" + dir + "' && sha256sum -c '" + archive.getFileName() + ".sha256'")))
                .contains(": OK");

        CliRun verify = CliRun.of("verify", archive.toString(), "--identity", key.toString());
        assertThat(verify.exitCode()).as(verify.toString()).isZero();
        assertThat(verify.out()).contains("3 checksums match, sidecar matches");
        CliRun inspect = CliRun.of("inspect", archive.toString(), "--identity", key.toString());
        assertThat(inspect.out()).contains("secret_project", "public.customer_cards");
    }

    @Test
    void dbtoolReadsAnArchiveTheAgeCliEncrypted() throws Exception {
        Path plain = writePlainArchive();
        Path other = dir.resolve("age-keygen.txt");
        run(List.of("age-keygen", "-o", other.toString()));
        String recipient = run(List.of("age-keygen", "-y", other.toString())).strip();
        Path encrypted = dir.resolve("reencrypted.tar.gz.age");
        run(List.of("age", "-r", recipient, "-o", encrypted.toString(), plain.toString()));

        CliRun verify = CliRun.of("verify", encrypted.toString(), "--identity", other.toString());
        assertThat(verify.exitCode()).as(verify.toString()).isZero();
        assertThat(verify.out()).contains("3 checksums match");
    }

    @Test
    void withoutAnIdentityOneLineSaysHowToGiveOne() throws Exception {
        assumeTrue(System.getenv(AgeIdentity.ENVIRONMENT_VARIABLE) == null, "$DBTOOL_AGE_IDENTITY_FILE is set");
        Path archive = writeArchive(Compression.GZIP, "shop.tar.gz.age");
        for (String command : List.of("verify", "inspect")) {
            CliRun run = CliRun.of(command, archive.toString(), "--config", emptyConfig().toString());
            assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
            assertThat(run.errLines()).singleElement().asString()
                    .contains("shop.tar.gz.age is encrypted", "--identity FILE", "identity_file", "$DBTOOL_AGE_IDENTITY_FILE");
        }
    }

    @Test
    void theConfigsIdentityFileIsUsed() throws Exception {
        Path archive = writeArchive(Compression.GZIP, "shop.tar.gz.age");
        Path config = Files.writeString(dir.resolve("dbtool.yaml"),
                "defaults:\n  encryption:\n    identity_file: " + key + "\n");
        CliRun run = CliRun.of("verify", archive.toString(), "--config", config.toString());
        assertThat(run.exitCode()).as(run.toString()).isZero();
    }

    @Test
    void anIdentityThatIsNotARecipientIsExit2NamingTheFile() throws Exception {
        Path archive = writeArchive(Compression.GZIP, "shop.tar.gz.age");
        Path other = dir.resolve("other-key.txt");
        assertThat(CliRun.of("keygen", other.toString()).exitCode()).isZero();
        String secret = Files.readAllLines(other).get(2);

        CliRun run = CliRun.of("verify", archive.toString(), "--identity", other.toString());
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
        assertThat(run.errLines()).singleElement().asString().contains("other-key.txt", "not encrypted to");
        assertThat(run.toString()).doesNotContain(secret);
    }

    @Test
    void inspectReadsOnlyTheTailOfAnEncryptedArchiveAndVerifyStillFindsDamageBeforeIt() throws Exception {
        // 3 MB of data: the flipped byte lies before the last MiB, the window inspect decrypts at random access.
        Path archive = writeArchive(Compression.GZIP, "shop.tar.gz.age", 3_000_000);
        byte[] bytes = Files.readAllBytes(archive);
        bytes[bytes.length / 4] ^= 0x01;
        Files.write(archive, bytes);
        writeSidecar(archive, dbtool.archive.Sha256.hex(bytes));

        CliRun inspect = CliRun.of("inspect", archive.toString(), "--identity", key.toString());
        assertThat(inspect.exitCode()).as(inspect.toString()).isZero();
        assertThat(inspect.out()).contains("secret_project", "public.customer_cards");
        CliRun verify = CliRun.of("verify", archive.toString(), "--identity", key.toString());
        assertThat(verify.exitCode()).as(verify.toString()).isEqualTo(4);
        assertThat(verify.errLines()).singleElement().asString().contains("age authentication failed");
    }

    @Test
    void aChangedArchiveIsExit4EvenWithAMatchingSidecar() throws Exception {
        Path archive = writeArchive(Compression.GZIP, "shop.tar.gz.age");
        byte[] original = Files.readAllBytes(archive);
        // In the middle of a data chunk, in the very last byte (age's final chunk), and cut short.
        List<byte[]> damaged = new ArrayList<>();
        byte[] middle = original.clone();
        middle[original.length / 2] ^= 0x01;
        damaged.add(middle);
        byte[] last = original.clone();
        last[original.length - 1] ^= 0x01;
        damaged.add(last);
        damaged.add(java.util.Arrays.copyOf(original, original.length - 100));
        for (byte[] bytes : damaged) {
            Files.write(archive, bytes);
            writeSidecar(archive, dbtool.archive.Sha256.hex(bytes));
            CliRun run = CliRun.of("verify", archive.toString(), "--identity", key.toString());
            assertThat(run.exitCode()).as(run.toString()).isEqualTo(4);
            assertThat(run.errLines()).singleElement().asString().contains("age authentication failed");
        }
    }

    @Test
    void identityFilesReadableByOthersGetAWarningAndKeysAreNeverEchoed() throws Exception {
        Path archive = writeArchive(Compression.GZIP, "shop.tar.gz.age");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        CliRun run = CliRun.of("verify", archive.toString(), "--identity", key.toString());
        assertThat(run.exitCode()).isZero();
        assertThat(run.err()).contains("warning", "key.txt is readable by other users", "chmod 600");

        String secret = Files.readAllLines(key).get(2);
        Path broken = Files.writeString(dir.resolve("broken.txt"), secret.substring(0, secret.length() - 3) + "QQQ\n");
        Files.setPosixFilePermissions(broken, PosixFilePermissions.fromString("rw-------"));
        CliRun bad = CliRun.of("verify", archive.toString(), "--identity", broken.toString());
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.errLines()).singleElement().asString().contains("broken.txt line 1", "not a valid age X25519 private key");
        assertThat(bad.toString()).doesNotContain(secret.substring(20, 40));
    }

    private Path emptyConfig() throws IOException {
        return Files.writeString(dir.resolve("empty.yaml"), "projects: {}\n");
    }

    private Path writePlainArchive() throws IOException {
        Path dump = Files.createDirectories(dir.resolve("plain-dump"));
        Files.write(dump.resolve("toc.dat"), new byte[700]);
        Files.write(dump.resolve("3341.dat"), new byte[300_000]);
        ArchiveWriter writer = new ArchiveWriter(Compression.GZIP, 1);
        Path target = dir.resolve("plain.tar.gz");
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                ArchiveWriter.Body body = writer.open(out, CREATED)) {
            body.add(dump.resolve("toc.dat"), "dump/toc.dat", n -> {});
            body.add(dump.resolve("3341.dat"), "dump/3341.dat", n -> {});
            body.finish(new Manifest(Manifest.FORMAT, Manifest.FORMAT_VERSION, "test", CREATED.toString(), "shop",
                    new Manifest.Source("localhost", 5432, "shop", "postgres"), "15.8", "15.8", "directory",
                    "gzip", "none", "snapshot", List.of(), List.of(), body.files()));
        }
        return target;
    }

    /** Runs a command, fails the test on a non-zero exit, returns stdout. */
    private static String run(List<String> command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(command + ": " + out).isZero();
        return out;
    }
}
