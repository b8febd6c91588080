package dbtool.crypto;

import dbtool.DbToolException;
import java.io.IOException;
import java.io.InputStream;

/** Turns an encrypted archive's byte stream into the plaintext tar stream while it is read. */
@FunctionalInterface
public interface Decryptor {

    /**
     * @param encrypted the archive's bytes from the start of the age header
     * @param archiveName for messages
     * @throws DbToolException exit 2 when the key does not fit, exit 4 when the header is damaged
     */
    InputStream decrypt(InputStream encrypted, String archiveName) throws IOException;

    /** No identity was given: reading an encrypted archive says how to give one. */
    Decryptor NONE = (encrypted, archiveName) -> {
        throw DbToolException.usage(archiveName + " is encrypted (age); give its private key with --identity FILE,"
                + " encryption.identity_file in the config, or $" + AgeIdentity.ENVIRONMENT_VARIABLE);
    };
}
