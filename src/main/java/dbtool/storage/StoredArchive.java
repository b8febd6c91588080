package dbtool.storage;

import dbtool.archive.ArchiveInput;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/** One archive in a store, with its sidecar {@code <name>.sha256} beside it. */
public record StoredArchive(ArchiveStore store, String name) implements ArchiveInput {

    @Override
    public String location() {
        return store.locationOf(name);
    }

    @Override
    public InputStream open() throws IOException {
        return store.open(name);
    }

    @Override
    public long size() throws IOException {
        return store.size(name);
    }

    @Override
    public byte[] read(long position, int length) throws IOException {
        return store.read(name, position, length);
    }

    @Override
    public Optional<String> sidecar() throws IOException {
        return store.readText(sidecarName());
    }

    @Override
    public String toString() {
        return location();
    }
}
