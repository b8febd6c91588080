package dbtool.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.testing.CliRun;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The plaintext of an age file at random access (an encrypted archive's tail without decrypting the rest): the same
 * bytes as the streaming decryption gives, for files written by jagged and by the age CLI, and every chunk checked.
 */
class AgePayloadTest {

    private static final int CHUNK = AgePayload.CHUNK;

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

    private static byte[] plaintext(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return bytes;
    }

    private byte[] encrypt(byte[] plain) throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        try (OutputStream out = AgeEncryption.toRecipients(List.of(publicKey)).encrypt(sink)) {
            out.write(plain);
        }
        return sink.toByteArray();
    }

    private AgePayload open(byte[] encrypted) throws IOException {
        return new AgeIdentity(key, w -> { }).payload(
                (position, length) -> Arrays.copyOfRange(encrypted, (int) Math.min(position, encrypted.length),
                        (int) Math.min(position + length, encrypted.length)),
                encrypted.length, "test.tar.age").orElseThrow();
    }

    /** Every read, across chunk boundaries and up to the end, gives the plaintext's bytes. */
    private static void assertReadsAsPlaintext(AgePayload payload, byte[] plain) throws IOException {
        assertThat(payload.size()).isEqualTo(plain.length);
        long[] positions = {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, plain.length / 2, plain.length - CHUNK - 3,
            plain.length - 1, plain.length};
        for (long position : positions) {
            if (position < 0 || position > plain.length) {
                continue;
            }
            for (int length : new int[] {0, 1, 7, CHUNK, 3 * CHUNK + 5, plain.length}) {
                int expected = (int) Math.min(length, plain.length - position);
                assertThat(payload.read(position, length)).as("%d bytes at %d", length, position)
                        .isEqualTo(Arrays.copyOfRange(plain, (int) position, (int) position + expected));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 5 * CHUNK + 12345, 40 * CHUNK + 7})
    void readsWhatJaggedWrote(int size) throws IOException {
        byte[] plain = plaintext(size);
        assertReadsAsPlaintext(open(encrypt(plain)), plain);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, CHUNK, 2 * CHUNK, 4 * CHUNK + 999})
    void readsWhatTheAgeCliWrote(int size) throws Exception {
        byte[] plain = plaintext(size);
        Path in = Files.write(dir.resolve("plain"), plain);
        Path out = dir.resolve("plain.age");
        Process age = new ProcessBuilder("age", "-r", publicKey, "-o", out.toString(), in.toString())
                .redirectErrorStream(true).start();
        assertThat(age.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(age.exitValue()).as(new String(age.getInputStream().readAllBytes())).isZero();
        assertReadsAsPlaintext(open(Files.readAllBytes(out)), plain);
    }

    @Test
    void aFlippedByteFailsTheReadOfItsChunkOnly() throws IOException {
        byte[] plain = plaintext(4 * CHUNK + 100);
        byte[] encrypted = encrypt(plain);
        int headerAndNonce = encrypted.length - (plain.length + 5 * 16);
        encrypted[headerAndNonce + (CHUNK + 16) + 10] ^= 0x01; // in the second chunk
        AgePayload payload = open(encrypted);
        assertThat(payload.read(3 * CHUNK, CHUNK + 100)).isEqualTo(Arrays.copyOfRange(plain, 3 * CHUNK, plain.length));
        assertThatThrownBy(() -> payload.read(CHUNK + 5, 10)).isInstanceOf(IOException.class)
                .hasMessageContaining("age authentication failed");
    }

    /** Cut at a chunk boundary, the new last chunk is not sealed as the last one; bytes appended move every chunk. */
    @Test
    void aFileCutAtAChunkBoundaryOrWithBytesAppendedFailsAtItsEnd() throws IOException {
        byte[] plain = plaintext(3 * CHUNK + 100);
        byte[] encrypted = encrypt(plain);
        byte[] cut = Arrays.copyOf(encrypted, encrypted.length - (100 + 16));
        AgePayload shorter = open(cut);
        assertThat(shorter.size()).isEqualTo(3 * CHUNK);
        assertThatThrownBy(() -> shorter.read(shorter.size() - 10, 10)).hasMessageContaining("age authentication failed");
        byte[] longer = Arrays.copyOf(encrypted, encrypted.length + 1);
        assertThatThrownBy(() -> open(longer).read(3 * CHUNK, 100)).hasMessageContaining("age authentication failed");
        byte[] tagOnly = Arrays.copyOf(encrypted, encrypted.length - 100 - 8);
        assertThatThrownBy(() -> open(tagOnly)).hasMessageContaining("age authentication failed");
    }

    @Test
    void aKeyThatIsNotARecipientIsExit2AndAChangedHeaderExit4() throws IOException {
        byte[] encrypted = encrypt(plaintext(1000));
        Path other = dir.resolve("other.txt");
        assertThat(CliRun.of("keygen", other.toString()).exitCode()).isZero();
        AgePayload.Source source = (position, length) -> Arrays.copyOfRange(encrypted, (int) position,
                (int) Math.min(position + length, encrypted.length));
        assertThatThrownBy(() -> new AgeIdentity(other, w -> { }).payload(source, encrypted.length, "a.tar.age"))
                .isInstanceOfSatisfying(DbToolException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE))
                .hasMessageContaining("not encrypted to the key in identity file " + other);
        byte[] changed = encrypted.clone();
        changed[40] ^= 0x01; // in the recipient stanza's line
        assertThatThrownBy(() -> open(changed)).isInstanceOf(DbToolException.class);
        assertThat(Decryptor.NONE.payload(source, encrypted.length, "a.tar.age")).isEmpty();
    }

    @Test
    void aFileCutInsideItsHeaderIsExit4() throws IOException {
        byte[] encrypted = encrypt(plaintext(1000));
        for (int length : new int[] {30, 100}) {
            byte[] cut = Arrays.copyOf(encrypted, length);
            assertThatThrownBy(() -> open(cut)).isInstanceOfSatisfying(DbToolException.class,
                    e -> assertThat(e.exitCode()).isEqualTo(ExitCode.ARCHIVE));
        }
    }
}
