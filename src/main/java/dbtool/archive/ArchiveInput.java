package dbtool.archive;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * An archive to read, wherever it is stored (a local file, an object in a bucket): read as one stream from its
 * start, with its {@code .sha256} sidecar beside it.
 */
public interface ArchiveInput {

    /** The archive's file name, for messages. */
    String name();

    /** Where it is (a path or an s3:// URL), for messages. */
    String location();

    /** The archive from its first byte. @throws NoSuchFileException when it does not exist */
    InputStream open() throws IOException;

    /** Its size in bytes. @throws NoSuchFileException when it does not exist */
    long size() throws IOException;

    /** The sidecar's content, or empty when the archive has no sidecar. */
    Optional<String> sidecar() throws IOException;

    /** The sidecar's name, for messages. */
    default String sidecarName() {
        return name() + ".sha256";
    }

    static ArchiveInput of(Path file) {
        return new LocalFile(file);
    }

    /** An archive on local disk. */
    record LocalFile(Path file) implements ArchiveInput {
        @Override
        public String name() {
            return file.getFileName().toString();
        }

        @Override
        public String location() {
            return file.toString();
        }

        @Override
        public InputStream open() throws IOException {
            return Files.newInputStream(file);
        }

        @Override
        public long size() throws IOException {
            return Files.size(file);
        }

        @Override
        public Optional<String> sidecar() throws IOException {
            Path sidecar = file.resolveSibling(sidecarName());
            return Files.exists(sidecar) ? Optional.of(Files.readString(sidecar, StandardCharsets.UTF_8)) : Optional.empty();
        }
    }
}
