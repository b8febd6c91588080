package dbtool.crypto;

import com.exceptionfactory.jagged.RecipientStanzaReader;
import com.exceptionfactory.jagged.framework.crypto.CipherKey;
import com.exceptionfactory.jagged.framework.format.StandardPayloadKeyReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The plaintext of an age file read at any position, so that an encrypted archive's last member can be found without
 * decrypting everything before it. age's payload is STREAM-encrypted in 64 KiB chunks, each sealed on its own with
 * ChaCha20-Poly1305 under the nonce (11-byte big-endian chunk counter || last-chunk flag): a chunk decrypts without its
 * neighbours. The header (recipient stanzas, the header MAC) and the payload key are jagged's own code
 * ({@link StandardPayloadKeyReader}, the one its streaming decryption uses); only the chunk arithmetic is here.
 *
 * <p>Every byte given out comes from a chunk whose tag was checked; the last chunk is opened with the last flag set,
 * so a file cut at a chunk boundary or with bytes appended fails instead of looking shorter or longer.
 */
public final class AgePayload {

    /** Ranged reads of the encrypted file. */
    @FunctionalInterface
    public interface Source {
        /** {@code length} bytes from {@code position}; fewer only at the end of the file. */
        byte[] read(long position, int length) throws IOException;
    }

    static final int CHUNK = 64 * 1024;
    private static final int TAG = 16;
    private static final int SEALED = CHUNK + TAG;
    private static final String CIPHER = "ChaCha20-Poly1305";
    /** Chunks per ranged read: 1 MiB of plaintext, one GET of a bucket's object per MiB. */
    private static final int BATCH = 16;

    private final Source source;
    private final long payloadStart;
    private final long chunks;
    private final long size;
    private final SecretKeySpec key;

    private AgePayload(Source source, long payloadStart, long chunks, long size, SecretKeySpec key) {
        this.source = source;
        this.payloadStart = payloadStart;
        this.chunks = chunks;
        this.size = size;
        this.key = key;
    }

    /**
     * Reads the header (as jagged's decrypting channel does, from the first chunk's worth of bytes) and derives the
     * payload key: fails as jagged does on a key that does not fit or a header that does not authenticate.
     *
     * @throws IOException when the payload's length cannot be that of an age payload (cut short, bytes appended)
     */
    static AgePayload open(Source source, long fileSize, List<RecipientStanzaReader> keys)
            throws GeneralSecurityException, IOException {
        ByteBuffer head = ByteBuffer.wrap(source.read(0, (int) Math.min(fileSize, SEALED)));
        CipherKey payloadKey = new StandardPayloadKeyReader().getPayloadKey(head, keys);
        SecretKeySpec key = new SecretKeySpec(payloadKey.getEncoded(), "ChaCha20");
        payloadKey.destroy();
        long payloadStart = head.position();
        long sealed = fileSize - payloadStart;
        long chunks = (sealed + SEALED - 1) / SEALED;
        long lastSealed = sealed - (chunks - 1) * SEALED;
        // At least one chunk, and a last one with room for its tag.
        if (chunks == 0 || lastSealed < TAG) {
            throw authenticationFailed(null);
        }
        return new AgePayload(source, payloadStart, chunks, sealed - chunks * TAG, key);
    }

    /** The plaintext's length. */
    public long size() {
        return size;
    }

    /**
     * {@code length} plaintext bytes from {@code position} (fewer only at the end), from the chunks that hold them,
     * each authenticated.
     *
     * @throws IOException "age authentication failed" when a chunk does not authenticate
     */
    public byte[] read(long position, int length) throws IOException {
        if (position < 0 || length < 0 || position > size) {
            throw new IllegalArgumentException("position " + position + " outside the payload of " + size + " bytes");
        }
        int wanted = (int) Math.min(length, size - position);
        if (wanted == 0) {
            return new byte[0];
        }
        // A batch of chunks per ranged read: the result is the only buffer as big as the read (ArchiveTail's window
        // grows to 64 MiB), not the ciphertext and a plaintext copy beside it.
        byte[] result = new byte[wanted];
        byte[] plain = new byte[CHUNK];
        int filled = 0;
        long last = (position + wanted - 1) / CHUNK;
        for (long batch = position / CHUNK; batch <= last; batch += BATCH) {
            long batchEnd = Math.min(last, batch + BATCH - 1);
            byte[] sealed = source.read(payloadStart + batch * SEALED, (int) ((batchEnd - batch + 1) * SEALED));
            for (long chunk = batch; chunk <= batchEnd; chunk++) {
                int from = (int) ((chunk - batch) * SEALED);
                int sealedLength = Math.min(SEALED, sealed.length - from);
                if (sealedLength < TAG) {
                    throw authenticationFailed(null); // the file got shorter since open()
                }
                int opened = open(chunk, sealed, from, sealedLength, plain);
                int skip = chunk * CHUNK < position ? (int) (position - chunk * CHUNK) : 0;
                int n = Math.min(opened - skip, wanted - filled);
                System.arraycopy(plain, skip, result, filled, n);
                filled += n;
            }
        }
        return result;
    }

    /** Decrypts chunk number {@code chunk} into {@code out}; returns its plaintext length. */
    private int open(long chunk, byte[] sealed, int from, int sealedLength, byte[] out) throws IOException {
        byte[] nonce = new byte[12];
        for (int i = 10, shift = 0; i >= 3; i--, shift += 8) {
            nonce[i] = (byte) (chunk >>> shift); // a long covers the counter's low 8 bytes; the top 3 stay 0
        }
        nonce[11] = (byte) (chunk == chunks - 1 ? 1 : 0);
        try {
            Cipher cipher = Cipher.getInstance(CIPHER);
            cipher.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(nonce));
            return cipher.doFinal(sealed, from, sealedLength, out, 0);
        } catch (javax.crypto.AEADBadTagException e) {
            throw authenticationFailed(e);
        } catch (GeneralSecurityException e) {
            throw new IOException("age decryption could not run: " + e.getMessage(), e);
        }
    }

    /** The same words for the same damage, whether found at random access or while streaming. */
    static IOException authenticationFailed(Exception cause) {
        return new IOException("age authentication failed: the encrypted data was modified or cut short", cause);
    }
}
