package dbtool.config;

import java.nio.file.Path;
import java.time.Duration;

/** Where a project's migrations live and how politely they wait for locks on a live database. */
public record MigrateSettings(
        Path dir,
        Duration lockTimeout,
        Duration statementTimeout,
        int lockRetries,
        Duration interimPeriod) {}
