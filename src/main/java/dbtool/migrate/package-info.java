/**
 * The core of {@code dbtool migrate}; no picocli here, the CLI command wires flags and config onto it.
 *
 * <p>Entry point: {@code new Migrator(reporter, snapshot).migrate(new MigrateOptions(...))} returns a
 * {@link dbtool.migrate.MigrateReport} (applied migrations with time and lock retries, the safety snapshot path,
 * held-back contract steps) or throws {@link dbtool.DbToolException} with the exit code: 2 changed applied file,
 * misnamed file, bad --target, contract step inside its interim period; 3 false {@code -- dbtool:verify} check
 * (migration rolled back); 6 lint findings (also for --dry-run, after listing the plan); 1 a migration failed or
 * never got its locks. {@link dbtool.migrate.Migrator#plan} is the read-only part (what --dry-run shows).
 *
 * <p>The CLI's snapshot lambda: {@code () -> new Exporter(PgToolLocator.fromSystemEnvironment(), reporter, version)
 * .export(new ExportOptions(project, connection, backupDir, 1, Compression.GZIP, List.of(), List.of())).archive()}.
 *
 * <p>Flyway is the engine (history table {@code dbtool_schema_history}, checksums, numeric order, baselining an
 * existing database at V1, running {@code CREATE INDEX CONCURRENTLY} outside a transaction). dbtool adds: lint of
 * pending files, the snapshot, {@code lock_timeout}/{@code statement_timeout} on every connection with retries on
 * SQLSTATE 55P03, verify checks in Flyway's {@code afterEachMigrate} callback (inside the migration's transaction),
 * the expand/contract gate, and cleanup of invalid indexes after a failed concurrent build.
 */
package dbtool.migrate;
