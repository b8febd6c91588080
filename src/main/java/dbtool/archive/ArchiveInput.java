package dbtool.archive;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
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

    /**
     * {@code length} bytes from {@code position} (a ranged read: inspect reads only the tail of a 100 GB archive).
     * @throws NoSuchFileException when it does not exist
     */
    byte[] read(long position, int length) throws IOException;

    /** The sidecar's content, or empty when the archive has no sidecar. */
    Optional<String> sidecar() throws IOException;

    /** The sidecar's name, for messages. */
    default String sidecarName() {
        return name() + ".sha256";
    }

    /** {@code length} bytes of {@code file} from {@code position}; fewer only when the file is shorter. */
    static byte[] readRange(Path file, long position, int length) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate(length);
            while (buffer.hasRemaining() && channel.read(buffer, position + buffer.position()) > 0) {
                // a read may return fewer bytes than asked
            }
            return Arrays.copyOf(buffer.array(), buffer.position());
        }
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
        public byte[] read(long position, int length) throws IOException {
            return readRange(file, position, length);
        }

        @Override
        public Optional<String> sidecar() throws IOException {
            Path sidecar = file.resolveSibling(sidecarName());
            return Files.exists(sidecar) ? Optional.of(Files.readString(sidecar, StandardCharsets.UTF_8)) : Optional.empty();
        }
    }
}
