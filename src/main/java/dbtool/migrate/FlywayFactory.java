package dbtool.migrate;

import dbtool.migrate.lint.BatchDirective;
import java.nio.file.Path;
import java.util.Map;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension;

/** Flyway configured the one way dbtool uses it. */
final class FlywayFactory {
    static final String HISTORY_TABLE = "dbtool_schema_history";
    /** A database that already has tables but no history is taken to be at V1, the schema before migrations. */
    static final String BASELINE_VERSION = "1";

    private final DataSource dataSource;
    private final Path dir;

    FlywayFactory(DataSource dataSource, Path dir) {
        this.dataSource = dataSource;
        this.dir = dir;
    }

    /**
     * @param target the last version to apply, or null for the latest; the migrator applies one version per call
     *     so it can retry, snapshot invalid indexes and time each migration on its own
     */
    Flyway flyway(String target, Callback... callbacks) {
        FluentConfiguration config = base().callbacks(callbacks);
        if (target != null) {
            config.target(target);
        }
        return config.load();
    }

    /**
     * Like {@link #flyway} but validation accepts pending migrations (they are the point of migrating) and future
     * ones (applied by a newer checkout: nothing to do here); changed, missing, failed and out-of-order ones still
     * fail it.
     */
    Flyway forValidation() {
        return base().ignoreMigrationPatterns("*:pending", "*:future").load();
    }

    private FluentConfiguration base() {
        FluentConfiguration config = Flyway.configure()
                .dataSource(dataSource)
                .locations("filesystem:" + dir.toAbsolutePath())
                .failOnMissingLocations(true)
                .table(HISTORY_TABLE)
                .baselineOnMigrate(true)
                .baselineVersion(BASELINE_VERSION)
                .validateMigrationNaming(true)
                // A batched statement's final pass, inside the migration's transaction, scans from the start.
                .placeholders(Map.of(BatchDirective.AFTER_NAME, BatchDirective.BEFORE_ALL_KEYS))
                .cleanDisabled(true);
        // Flyway's default transactional advisory lock keeps a transaction open on a second connection, and
        // CREATE INDEX CONCURRENTLY waits for every open transaction to end: it would wait forever (flyway/flyway
        // #3497, #3682). A session-level advisory lock still keeps two migrators apart.
        config.getConfigurationExtension(PostgreSQLConfigurationExtension.class).setTransactionalLock(false);
        return config;
    }
}
