package dbtool.crypto;

import com.exceptionfactory.jagged.RecipientStanzaWriter;
import com.exceptionfactory.jagged.framework.stream.StandardEncryptingChannelFactory;
import com.exceptionfactory.jagged.x25519.X25519RecipientStanzaWriterFactory;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * age encryption (X25519 recipients, the format of the age CLI) of an archive's byte stream while it is
 * written: {@link #encrypt} wraps the stream the archive file is written through, so the plaintext tar
 * never reaches the file.
 */
public final class AgeEncryption {

    /** Appended to an encrypted archive's name: {@code .tar.gz.age}. */
    public static final String SUFFIX = ".age";

    private static final byte[] MAGIC = "age-encryption.org/v1\n".getBytes(StandardCharsets.US_ASCII);

    private final List<String> recipients;

    private AgeEncryption(List<String> recipients) {
        this.recipients = List.copyOf(recipients);
    }

    /**
     * Checks each public key ({@code age1...}) now, so a typo stops the export before pg_dump runs.
     *
     * @throws IllegalArgumentException naming the position of a key that is not an age X25519 recipient
     */
    public static AgeEncryption toRecipients(List<String> recipients) {
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("no recipients");
        }
        for (int i = 0; i < recipients.size(); i++) {
            writer(recipients.get(i), i);
        }
        return new AgeEncryption(recipients);
    }

    public int recipientCount() {
        return recipients.size();
    }

    /**
     * An age stream to all recipients over {@code out}; closing it writes the final chunk and closes
     * {@code out}. Each call uses a fresh file key.
     */
    public OutputStream encrypt(OutputStream out) throws IOException {
        List<RecipientStanzaWriter> writers = new ArrayList<>();
        for (int i = 0; i < recipients.size(); i++) {
            writers.add(writer(recipients.get(i), i));
        }
        try {
            return Channels.newOutputStream(
                    new StandardEncryptingChannelFactory().newEncryptingChannel(Channels.newChannel(out), writers));
        } catch (GeneralSecurityException e) {
            throw new IOException("age encryption could not start: " + e.getMessage(), e);
        }
    }

    /** True when the first bytes are an age file's header (binary, not ASCII-armored). */
    public static boolean isEncrypted(byte[] head, int length) {
        return length >= MAGIC.length && Arrays.equals(head, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    /** How many bytes {@link #isEncrypted} needs to see. */
    public static int headerLength() {
        return MAGIC.length;
    }

    /** The key is not echoed: a mangled private key pasted into the wrong place must not reach a log. */
    private static RecipientStanzaWriter writer(String recipient, int index) {
        String key = recipient.strip();
        if (!key.startsWith("age1")) {
            throw new IllegalArgumentException("recipient " + (index + 1) + " is not an age public key (age1...)");
        }
        try {
            return X25519RecipientStanzaWriterFactory.newRecipientStanzaWriter(key);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("recipient " + (index + 1) + " is not a valid age X25519 public key"
                    + " (age1..., 62 characters; bad checksum or length)");
        }
    }
}
