package dbtool.crypto;

import dbtool.DbToolException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/** Turns an encrypted archive's byte stream into the plaintext tar stream while it is read. */
@FunctionalInterface
public interface Decryptor {

    /**
     * @param encrypted the archive's bytes from the start of the age header
     * @param archiveName for messages
     * @throws DbToolException exit 2 when the key does not fit, exit 4 when the header is damaged
     */
    InputStream decrypt(InputStream encrypted, String archiveName) throws IOException;

    /**
     * The plaintext at random access (an archive's last member is read without decrypting the rest), or empty when
     * this decryptor cannot give it: the caller then streams through {@link #decrypt}, which says what is missing.
     *
     * @param encrypted ranged reads of the encrypted file, from the start of the age header
     * @param size the encrypted file's size
     * @throws DbToolException as {@link #decrypt}
     */
    default Optional<AgePayload> payload(AgePayload.Source encrypted, long size, String archiveName) throws IOException {
        return Optional.empty();
    }

    /** No identity was given: reading an encrypted archive says how to give one. */
    Decryptor NONE = (encrypted, archiveName) -> {
        throw DbToolException.usage(archiveName + " is encrypted (age); give its private key with --identity FILE,"
                + " encryption.identity_file in the config, or $" + AgeIdentity.ENVIRONMENT_VARIABLE);
    };
}
