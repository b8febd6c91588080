package dbtool.crypto;

import com.exceptionfactory.jagged.x25519.X25519KeyPairGenerator;
import dbtool.DbToolException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Set;

/** Writes a new X25519 key pair the way {@code age-keygen -o FILE} does. */
public final class AgeKeyGenerator {

    private AgeKeyGenerator() {}

    /**
     * Creates {@code file} (never overwriting one) with mode 0600 and the comment lines age-keygen writes,
     * then the private key; returns the public key ({@code age1...}) for {@code encryption.recipients}.
     */
    public static String writeNewIdentity(Path file) {
        KeyPair pair;
        try {
            pair = new X25519KeyPairGenerator().generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw DbToolException.runtime("cannot generate an X25519 key pair: " + e.getMessage(), e);
        }
        String publicKey = pair.getPublic().toString();
        String content = "# created: " + Instant.now().truncatedTo(ChronoUnit.SECONDS) + "\n"
                + "# public key: " + publicKey + "\n"
                + pair.getPrivate().toString() + "\n";
        try (FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            channel.write(java.nio.ByteBuffer.wrap(content.getBytes(StandardCharsets.US_ASCII)));
            channel.force(true);
        } catch (FileAlreadyExistsException e) {
            throw DbToolException.usage(file + " already exists; dbtool never overwrites a key file, choose another name");
        } catch (IOException e) {
            throw DbToolException.usage("cannot write " + file + ": " + e.getMessage());
        }
        return publicKey;
    }
}
