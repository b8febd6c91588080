package dbtool.cli;

import dbtool.crypto.AgeKeyGenerator;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "keygen", usageHelpAutoWidth = false,
        description = {"Write a new age key pair to FILE (mode 0600, like age-keygen -o FILE) and print its public key.",
            "The public key goes under encryption.recipients; FILE stays where archives are restored."})
final class KeygenCommand implements Callable<Integer> {

    @ParentCommand
    DbTool root;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "The private key file to create (never overwritten).")
    Path file;

    @Override
    public Integer call() {
        String publicKey = AgeKeyGenerator.writeNewIdentity(file);
        root.reporter(spec).info("wrote the private key to " + file + " (mode 0600); keep it off the database host."
                + " Its public key, for encryption.recipients:");
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("identity_file", file.toString());
        json.put("public_key", publicKey);
        root.print(spec, json, publicKey);
        return 0;
    }
}
