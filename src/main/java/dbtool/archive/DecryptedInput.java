package dbtool.archive;

import dbtool.crypto.AgePayload;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * The plaintext of an encrypted archive as an archive of its own, for {@link ArchiveTail}: its ranged reads decrypt
 * (and authenticate) only the chunks they touch. It has no sidecar: that one covers the encrypted file.
 */
record DecryptedInput(ArchiveInput encrypted, AgePayload payload) implements ArchiveInput {

    private static final int STEP = 1 << 20;

    @Override
    public String name() {
        return encrypted.name();
    }

    @Override
    public String location() {
        return encrypted.location();
    }

    /** Sequential reads of the same chunks; the full read of an archive decrypts with its own stream instead. */
    @Override
    public InputStream open() {
        return new InputStream() {
            private long position;
            private byte[] buffer = new byte[0];
            private int next;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (next == buffer.length) {
                    buffer = payload.read(position, STEP);
                    position += buffer.length;
                    next = 0;
                    if (buffer.length == 0) {
                        return len == 0 ? 0 : -1;
                    }
                }
                int n = Math.min(len, buffer.length - next);
                System.arraycopy(buffer, next, b, off, n);
                next += n;
                return n;
            }
        };
    }

    @Override
    public long size() {
        return payload.size();
    }

    @Override
    public byte[] read(long position, int length) throws IOException {
        return payload.read(position, length);
    }

    @Override
    public Optional<String> sidecar() {
        return Optional.empty();
    }
}
