package dbtool.storage;

import dbtool.archive.NonClosingOutputStream;
import dbtool.DbToolException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A directory on local disk. Objects are written as {@code .<name>.partial} (mode 0600), fsynced, renamed into place
 * and the directory fsynced, so a crash never leaves a half-written file under the real name.
 */
public final class LocalStore implements ArchiveStore {

    private static final int BUFFER = 1 << 20;
    private static final FileAttribute<?> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private final Path dir;

    /** @param dir as it should appear in messages (callers pass it absolute where that matters) */
    public LocalStore(Path dir) {
        this.dir = dir;
    }

    /** The temporary name an object is written under before it is renamed into place. */
    public static String partialName(String name) {
        return "." + name + ".partial";
    }

    public Path dir() {
        return dir;
    }

    @Override
    public String location() {
        return dir.toString();
    }

    @Override
    public String locationOf(String name) {
        return resolve(name).toString();
    }

    private Path resolve(String name) {
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("not a plain file name: '" + name + "'");
        }
        return dir.resolve(name);
    }

    @Override
    public Upload create(String name) throws IOException {
        Path target = resolve(name);
        Path partial = resolve(partialName(name));
        FileChannel channel = FileChannel.open(partial, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                OWNER_ONLY);
        return new FileUpload(channel, partial, target);
    }

    private static final class FileUpload implements Upload {
        private final FileChannel channel;
        private final Path partial;
        private final Path target;
        private final BufferedOutputStream stream;
        private boolean committed;

        FileUpload(FileChannel channel, Path partial, Path target) {
            this.channel = channel;
            this.partial = partial;
            this.target = target;
            // The channel is closed by commit/close, not by whoever writes the stream.
            this.stream = new BufferedOutputStream(new NonClosingOutputStream(Channels.newOutputStream(channel)), BUFFER);
        }

        @Override
        public OutputStream stream() {
            return stream;
        }

        @Override
        public void commit() throws IOException {
            stream.flush();
            channel.force(true);
            channel.close();
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                throw DbToolException.usage(target + " already exists; dbtool never overwrites an archive");
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            committed = true;
            fsyncDirectory(target.getParent());
        }

        @Override
        public void close() {
            if (committed) {
                return;
            }
            try {
                channel.close();
                Files.deleteIfExists(partial);
            } catch (IOException ignored) {
                // a .partial file is a leftover the next backup removes
            }
        }
    }

    @Override
    public byte[] read(String name, long position, int length) throws IOException {
        return dbtool.archive.ArchiveInput.readRange(resolve(name), position, length);
    }

    @Override
    public InputStream open(String name) throws IOException {
        return Files.newInputStream(resolve(name));
    }

    @Override
    public long size(String name) throws IOException {
        return Files.size(resolve(name));
    }

    @Override
    public boolean exists(String name) {
        return Files.exists(resolve(name), LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public Optional<String> readText(String name) throws IOException {
        try {
            return Optional.of(Files.readString(resolve(name), StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public void writeText(String name, String content) throws IOException {
        Path target = resolve(name);
        Path temp = resolve(partialName(name));
        try (FileChannel ch = FileChannel.open(temp, Set.of(StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE), OWNER_ONLY)) {
            ch.write(ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        } catch (IOException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsyncDirectory(dir);
    }

    @Override
    public boolean createText(String name, String content) throws IOException {
        try (FileChannel ch = FileChannel.open(resolve(name), Set.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE), OWNER_ONLY)) {
            ch.write(ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        }
    }

    @Override
    public void delete(String name) throws IOException {
        Files.deleteIfExists(resolve(name));
    }

    /** Regular files and directories; symlinks are never something dbtool wrote, so they are not listed. */
    @Override
    public List<StoredObject> list() throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<StoredObject> result = new ArrayList<>();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                String name = p.getFileName().toString();
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    result.add(new StoredObject(name, sizeOrUnknown(p), false));
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    result.add(new StoredObject(name, 0, true));
                }
            }
        }
        return result;
    }

    private static long sizeOrUnknown(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public List<String> unfinishedUploads() {
        return List.of();
    }

    @Override
    public void abortUploads(String name) {
        // nothing: see unfinishedUploads()
    }

    @Override
    public Optional<Path> localDirectory() {
        return Optional.of(dir);
    }

    @Override
    public void close() {
        // nothing held open
    }

    /** Makes a rename durable; not every filesystem lets a directory be opened for fsync, and the rename is atomic anyway. */
    public static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // see above
        }
    }
}
