package dbtool.migrate;

import dbtool.config.ConnectionSettings;
import dbtool.config.MigrateSettings;
import java.nio.file.Path;

/**
 * One migrate run, fully decided: the CLI resolves config and flags into this.
 *
 * @param target the database to migrate
 * @param dir the migrations directory ({@code --dir}, else the config's {@code migrations}); may differ from
 *     {@code settings.dir()} because the flag wins
 * @param targetVersion {@code --target}: apply up to and including this version, or null for all
 * @param dryRun {@code --dry-run}: plan and lint only, touch nothing
 * @param contract {@code --contract}: also apply contract steps ({@code V<n>__contract_*.sql})
 * @param force {@code --force}: with --contract, skip the interim-period wait
 * @param snapshot false for {@code --no-snapshot}
 * @param settings lock/statement timeouts, lock retries and the interim period from the config
 */
public record MigrateOptions(
        ConnectionSettings target,
        Path dir,
        String targetVersion,
        boolean dryRun,
        boolean contract,
        boolean force,
        boolean snapshot,
        MigrateSettings settings) {}
