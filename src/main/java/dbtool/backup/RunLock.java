package dbtool.backup;

import dbtool.storage.ArchiveStore;
import java.util.Optional;

/**
 * Makes the runs of one project that write or delete in its backup location (backup, backups prune, migrate's
 * snapshot) mutually exclusive: an OS file lock in a local directory ({@link ProjectLock}), a lock object in a
 * bucket ({@link BucketLock}).
 */
public interface RunLock extends AutoCloseable {

    /** Takes the project's lock in the store's location at once, or fails with exit 5 naming the holder. */
    static RunLock acquire(ArchiveStore store, String project) {
        return store.localDirectory().<RunLock>map(dir -> ProjectLock.acquire(dir, project))
                .orElseGet(() -> BucketLock.acquire(store, project));
    }

    /** The holder of a lock that was left behind by a run that died, if this acquire took it over. */
    Optional<ProjectLock.Holder> takenOverFrom();

    @Override
    void close();
}
