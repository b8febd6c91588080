package dbtool.crypto;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Keeps a temporary file unreadable: AES-256-CTR under a random key that exists only in this process's
 * memory. An encrypted export packs its body this way, so the data never lies on disk in plaintext for
 * longer than pg_dump's own file of a table does; a killed run leaves only bytes nobody can decrypt.
 * Integrity is not its job: the archive's SHA256SUMS and age's authentication cover what is read back.
 */
public final class ScratchCipher {

    private static final String TRANSFORMATION = "AES/CTR/NoPadding";

    private final SecretKeySpec key;
    private final IvParameterSpec iv;

    public ScratchCipher() {
        SecureRandom random = new SecureRandom();
        byte[] keyBytes = new byte[32];
        byte[] ivBytes = new byte[16];
        random.nextBytes(keyBytes);
        random.nextBytes(ivBytes);
        this.key = new SecretKeySpec(keyBytes, "AES");
        this.iv = new IvParameterSpec(ivBytes);
    }

    /** Encrypts what is written to the file; close() closes {@code out}. One stream per file. */
    public OutputStream encrypt(OutputStream out) throws IOException {
        Cipher cipher = cipher(Cipher.ENCRYPT_MODE);
        return new FilterOutputStream(out) {
            private byte[] buffer = new byte[0];

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (buffer.length < len) {
                    buffer = new byte[len];
                }
                out.write(buffer, 0, update(cipher, b, off, len, buffer, 0));
            }
        };
    }

    /** Decrypts the file written through {@link #encrypt} from its start. */
    public InputStream decrypt(InputStream in) throws IOException {
        Cipher cipher = cipher(Cipher.DECRYPT_MODE);
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = in.read(b, off, len);
                if (n > 0) {
                    update(cipher, b, off, n, b, off); // CTR decrypts in place
                }
                return n;
            }

            @Override
            public boolean markSupported() {
                return false;
            }

            @Override
            public long skip(long n) {
                throw new UnsupportedOperationException("a CTR stream is read in order");
            }
        };
    }

    private Cipher cipher(int mode) throws IOException {
        try {
            Cipher cipher = Cipher.getInstance(TRANSFORMATION);
            cipher.init(mode, key, iv);
            return cipher;
        } catch (GeneralSecurityException e) {
            throw new IOException("AES-CTR is not available in this Java runtime: " + e.getMessage(), e);
        }
    }

    private static int update(Cipher cipher, byte[] in, int off, int len, byte[] out, int outOff) throws IOException {
        try {
            int n = cipher.update(in, off, len, out, outOff);
            if (n != len) {
                throw new IOException("AES-CTR returned " + n + " of " + len + " bytes");
            }
            return n;
        } catch (javax.crypto.ShortBufferException e) {
            throw new IOException(e);
        }
    }
}
