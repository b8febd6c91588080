package dbtool.config;

import dbtool.DbToolException;
import dbtool.crypto.AgeEncryption;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code encryption:} block. Public keys only, on the machine that writes archives; the private key
 * ({@code identity_file}) is needed only where archives are read.
 *
 * @param recipients age public keys ({@code age1...})
 * @param recipientsFile more of them, one a line, {@code #} comments, like {@code age -R}; or null
 * @param identityFile private key(s) for reading archives, or null
 * @param source the config file, named in messages
 */
public record EncryptionSettings(List<String> recipients, Path recipientsFile, Path identityFile, String source) {

    public static final EncryptionSettings NONE = new EncryptionSettings(List.of(), null, null, null);

    public EncryptionSettings {
        recipients = List.copyOf(recipients);
    }

    public boolean encrypts() {
        return !recipients.isEmpty() || recipientsFile != null;
    }

    /** The archives' encryption, or null when no recipients are configured. */
    public AgeEncryption encryption() {
        if (!encrypts()) {
            return null;
        }
        List<String> all = new ArrayList<>(recipients);
        if (recipientsFile != null) {
            all.addAll(readRecipientsFile());
        }
        if (all.isEmpty()) {
            throw DbToolException.usage("encryption.recipients_file " + recipientsFile + " in " + source
                    + " lists no public key; add age1... lines to it");
        }
        try {
            return AgeEncryption.toRecipients(all);
        } catch (IllegalArgumentException e) {
            throw DbToolException.usage(source + ": encryption: " + e.getMessage() + " (recipients first, then "
                    + (recipientsFile == null ? "none from a file" : "the lines of " + recipientsFile)
                    + "); `dbtool keygen FILE` or `age-keygen` prints a valid one");
        }
    }

    private List<String> readRecipientsFile() {
        try {
            return Files.readAllLines(recipientsFile, StandardCharsets.UTF_8).stream().map(String::strip)
                    .filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
        } catch (NoSuchFileException e) {
            throw DbToolException.usage("encryption.recipients_file " + recipientsFile + " (from " + source
                    + ") does not exist; create it with one age public key a line, or fix the path");
        } catch (IOException e) {
            throw DbToolException.usage("cannot read encryption.recipients_file " + recipientsFile + ": " + e.getMessage());
        }
    }
}
