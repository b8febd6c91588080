package dbtool.cli;

import dbtool.DbToolException;
import dbtool.archive.ArchiveReader;
import java.nio.file.Files;
import java.nio.file.Path;
import dbtool.storage.ArchiveStore;
import dbtool.storage.S3Location;
import dbtool.storage.StoredArchive;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "verify", usageHelpAutoWidth = false,
        description = "Check an archive's sidecar, every checksum and the manifest, without a database (exit 0 or 4).")
final class VerifyCommand implements Callable<Integer> {

    @ParentCommand
    DbTool root;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ARCHIVE", description = "A path or s3://bucket/key (read once, streamed).")
    String archive;

    @Mixin
    IdentityOption identity;

    @Override
    public Integer call() {
        if (!S3Location.isS3(archive) && !Files.isRegularFile(Path.of(archive))) {
            throw DbToolException.usage("archive " + archive + " does not exist or is not a file");
        }
        ArchiveReader.Result result;
        StoredArchive input = root.stores(root.config()).archive(archive);
        try (ArchiveStore store = input.store()) {
            result = ArchiveReader.read(input, null, n -> { },
                    identity.decryptor(() -> root.config().defaultEncryption(), root.reporter(spec)));
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("archive", archive);
        json.put("ok", true);
        json.put("files_checked", result.filesChecked());
        json.put("sidecar_checked", result.sidecarChecked());
        json.put("tables", result.manifest().tables().size());
        json.put("rows", result.manifest().totalRows());
        String text = "OK " + archive + ": " + result.filesChecked() + " checksums match"
                + (result.sidecarChecked() ? ", sidecar matches" : ", no sidecar (.sha256) found");
        root.print(spec, json, text);
        return 0;
    }
}
