package dbtool.cli;

import dbtool.Reporter;
import dbtool.config.EncryptionSettings;
import dbtool.crypto.AgeIdentity;
import dbtool.crypto.AgePayload;
import dbtool.crypto.Decryptor;
import java.nio.file.Path;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/** --identity FILE: the private key that reads encrypted archives. A file, never the key itself in argv. */
final class IdentityOption {

    @Option(names = "--identity", paramLabel = "FILE", description = "age private key file for encrypted (.age)"
            + " archives (default: encryption.identity_file of the config, else $DBTOOL_AGE_IDENTITY_FILE).")
    Path identity;

    /**
     * Decides on the key only when an archive turns out to be encrypted, so plaintext archives read
     * as before, without looking at the config.
     */
    Decryptor decryptor(Supplier<EncryptionSettings> settings, Reporter reporter) {
        return new Lazy(() -> AgeIdentity.resolve(identity, identity == null ? settings.get().identityFile() : null,
                System::getenv, reporter::warn));
    }

    /** Resolved once: a command that opens the archive twice (manifest, then all of it) reads the key once. */
    private static final class Lazy implements Decryptor {
        private final Supplier<Decryptor> resolve;
        private Decryptor resolved;

        Lazy(Supplier<Decryptor> resolve) {
            this.resolve = resolve;
        }

        @Override
        public java.io.InputStream decrypt(java.io.InputStream encrypted, String archiveName)
                throws java.io.IOException {
            return resolved().decrypt(encrypted, archiveName);
        }

        @Override
        public java.util.Optional<AgePayload> payload(AgePayload.Source encrypted, long size, String archiveName)
                throws java.io.IOException {
            return resolved().payload(encrypted, size, archiveName);
        }

        private synchronized Decryptor resolved() {
            if (resolved == null) {
                resolved = resolve.get();
            }
            return resolved;
        }
    }
}
