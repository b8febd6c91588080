package dbtool.storage;

import dbtool.config.StorageSettings;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Opens the store a location names: {@code s3://bucket/prefix} is a bucket (reached with {@code storage:} from the
 * config and the AWS environment), anything else a local directory. The caller closes what it opened.
 */
public final class Stores {

    private final StorageSettings settings;
    private final Function<String, String> environment;

    public Stores(StorageSettings settings, Function<String, String> environment) {
        this.settings = settings == null ? StorageSettings.DEFAULT : settings;
        this.environment = environment;
    }

    public static Stores fromSystemEnvironment() {
        return new Stores(StorageSettings.DEFAULT, System::getenv);
    }

    public Stores with(StorageSettings other) {
        return new Stores(other, environment);
    }

    public Function<String, String> environment() {
        return environment;
    }

    /** A directory or key prefix that holds archives. */
    public ArchiveStore directory(String location) {
        if (S3Location.isS3(location)) {
            return S3Store.open(S3Location.parse(location), settings, environment);
        }
        return new LocalStore(Path.of(location).toAbsolutePath().normalize());
    }

    /** One archive, named by its path or s3:// URL; close its {@link StoredArchive#store()} when done. */
    public StoredArchive archive(String location) {
        if (S3Location.isS3(location)) {
            S3Location object = S3Location.parse(location);
            if (object.key().isEmpty()) {
                throw dbtool.DbToolException.usage("'" + location + "' names a bucket, not an archive;"
                        + " write s3://bucket/path/archive.tar.gz");
            }
            return new StoredArchive(S3Store.open(object.parent(), settings, environment), object.lastSegment());
        }
        Path file = Path.of(location);
        if (file.getFileName() == null) {
            throw dbtool.DbToolException.usage("'" + location + "' is not an archive file name");
        }
        Path parent = file.getParent() == null ? Path.of("") : file.getParent();
        return new StoredArchive(new LocalStore(parent), file.getFileName().toString());
    }
}
