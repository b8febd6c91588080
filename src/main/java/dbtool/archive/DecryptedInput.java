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

    @Override
    public String name() {
        return encrypted.name();
    }

    @Override
    public String location() {
        return encrypted.location();
    }

    /**
     * Not offered: a full read opens the encrypted file itself and decrypts it as one stream (its sidecar is of the
     * encrypted bytes, and age's streaming reader checks every chunk in order); this view is for ranged reads.
     */
    @Override
    public InputStream open() {
        throw new UnsupportedOperationException("the plaintext view of " + encrypted.name() + " has ranged reads only");
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
