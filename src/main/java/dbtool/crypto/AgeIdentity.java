package dbtool.crypto;

import com.exceptionfactory.jagged.PayloadException;
import com.exceptionfactory.jagged.RecipientStanzaReader;
import com.exceptionfactory.jagged.UnsupportedRecipientStanzaException;
import com.exceptionfactory.jagged.framework.stream.StandardDecryptingChannelFactory;
import com.exceptionfactory.jagged.x25519.X25519RecipientStanzaReaderFactory;
import dbtool.DbToolException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * An age identity file (what {@code age-keygen} writes: {@code #} comments and {@code AGE-SECRET-KEY-1...}
 * lines), read only when an encrypted archive is actually opened. Keys never appear in a message.
 */
public final class AgeIdentity implements Decryptor {

    public static final String ENVIRONMENT_VARIABLE = "DBTOOL_AGE_IDENTITY_FILE";
    private static final String SECRET_KEY_PREFIX = "AGE-SECRET-KEY-1";

    private final Path file;
    private final Consumer<String> warnings;
    private List<RecipientStanzaReader> readers;

    public AgeIdentity(Path file, Consumer<String> warnings) {
        this.file = file;
        this.warnings = warnings;
    }

    /**
     * The identity to read archives with: {@code --identity FILE}, else the config's
     * {@code encryption.identity_file}, else {@code $DBTOOL_AGE_IDENTITY_FILE}, else none.
     */
    public static Decryptor resolve(Path given, Path configured, Function<String, String> environment,
            Consumer<String> warnings) {
        if (given != null) {
            return new AgeIdentity(given, warnings);
        }
        if (configured != null) {
            return new AgeIdentity(configured, warnings);
        }
        String fromEnvironment = environment.apply(ENVIRONMENT_VARIABLE);
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return new AgeIdentity(Path.of(fromEnvironment), warnings);
        }
        return Decryptor.NONE;
    }

    public Path file() {
        return file;
    }

    @Override
    public InputStream decrypt(InputStream encrypted, String archiveName) throws IOException {
        List<RecipientStanzaReader> keys = keys();
        try {
            return new Authenticated(Channels.newInputStream(new StandardDecryptingChannelFactory()
                    .newDecryptingChannel(Channels.newChannel(encrypted), keys)));
        } catch (GeneralSecurityException e) {
            throw refused(e, archiveName);
        }
    }

    @Override
    public Optional<AgePayload> payload(AgePayload.Source encrypted, long size, String archiveName) throws IOException {
        List<RecipientStanzaReader> keys = keys();
        try {
            return Optional.of(AgePayload.open(encrypted, size, keys));
        } catch (GeneralSecurityException e) {
            throw refused(e, archiveName);
        }
    }

    /** Why the header refused the key: not one of the recipients (exit 2), or the header was changed (exit 4). */
    private DbToolException refused(GeneralSecurityException e, String archiveName) {
        if (e instanceof UnsupportedRecipientStanzaException) {
            return DbToolException.usage(archiveName + " was not encrypted to the key in identity file " + file
                    + "; give the private key of one of the public keys it was encrypted to (--identity FILE)");
        }
        return DbToolException.archive(archiveName + ": its age header does not authenticate ("
                + e.getMessage() + "); the file was modified or damaged, restore from another copy");
    }

    private synchronized List<RecipientStanzaReader> keys() {
        if (readers != null) {
            return readers;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw DbToolException.usage("identity file " + file + " does not exist; give the private key file"
                    + " written by `dbtool keygen` or `age-keygen`");
        } catch (IOException e) {
            throw DbToolException.usage("cannot read identity file " + file + ": " + e.getMessage());
        }
        warnIfReadableByOthers();
        List<RecipientStanzaReader> found = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (!line.startsWith(SECRET_KEY_PREFIX)) {
                throw DbToolException.usage("identity file " + file + " line " + (i + 1) + " is not an age X25519"
                        + " private key (AGE-SECRET-KEY-1...); dbtool reads only those");
            }
            try {
                found.add(X25519RecipientStanzaReaderFactory.newRecipientStanzaReader(line));
            } catch (GeneralSecurityException | RuntimeException e) {
                throw DbToolException.usage("identity file " + file + " line " + (i + 1) + " is not a valid age"
                        + " X25519 private key (bad checksum or length)");
            }
        }
        if (found.isEmpty()) {
            throw DbToolException.usage("identity file " + file + " holds no private key (AGE-SECRET-KEY-1...)");
        }
        readers = List.copyOf(found);
        return readers;
    }

    private void warnIfReadableByOthers() {
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            if (mode.contains(PosixFilePermission.GROUP_READ) || mode.contains(PosixFilePermission.OTHERS_READ)) {
                warnings.accept("identity file " + file + " is readable by other users (" + PosixFilePermissions.toString(mode)
                        + "); it holds a private key: chmod 600 " + file);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // no POSIX permissions to check on this file system
        }
    }

    /** age's authentication failures, in words: the data was changed or cut short after it was written. */
    private static final class Authenticated extends FilterInputStream {
        Authenticated(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return in.read();
            } catch (PayloadException e) {
                throw failed(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (PayloadException e) {
                throw failed(e);
            }
        }

        private static IOException failed(PayloadException e) {
            return AgePayload.authenticationFailed(e);
        }
    }
}
