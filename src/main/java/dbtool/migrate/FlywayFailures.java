package dbtool.migrate;

import dbtool.DbToolException;
import dbtool.ExitCode;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Optional;
import org.flywaydb.core.api.CoreErrorCode;
import org.flywaydb.core.api.ErrorCode;
import org.flywaydb.core.api.exception.FlywayValidateException;
import org.flywaydb.core.api.output.ValidateOutput;
import org.flywaydb.core.api.output.ValidateResult;

/** Turns Flyway's failures into dbtool's one-line messages and exit codes. */
final class FlywayFailures {
    /** SQLSTATE lock_not_available: lock_timeout expired (or NOWAIT). */
    static final String LOCK_NOT_AVAILABLE = "55P03";

    private FlywayFailures() {}

    /** The first problem of a failed validation, naming the file and what to do. */
    static DbToolException validation(ValidateResult result, Path dir) {
        for (ValidateOutput invalid : result.invalidMigrations) {
            ErrorCode code = invalid.errorDetails == null ? null : invalid.errorDetails.errorCode;
            String file = invalid.filepath != null && !invalid.filepath.isBlank()
                    ? invalid.filepath : "V" + invalid.version + " (" + invalid.description + ")";
            if (code == CoreErrorCode.CHECKSUM_MISMATCH) {
                return DbToolException.usage(file + " was changed after it was applied (its checksum differs from"
                        + " the one in " + FlywayFactory.HISTORY_TABLE + "); restore the applied version and put the"
                        + " change in a new migration file");
            }
            if (code == CoreErrorCode.DESCRIPTION_MISMATCH || code == CoreErrorCode.TYPE_MISMATCH) {
                return DbToolException.usage(file + " was renamed or changed type after it was applied; restore"
                        + " its applied name and put the change in a new migration file");
            }
            if (code == CoreErrorCode.APPLIED_VERSIONED_MIGRATION_NOT_RESOLVED) {
                return DbToolException.usage("V" + invalid.version + " (" + invalid.description + ") is applied but"
                        + " its file is missing from " + dir + "; restore the file, or check --dir/'migrations'");
            }
            if (code == CoreErrorCode.RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED) {
                return DbToolException.usage(file + " is older than the newest applied migration and would run out"
                        + " of order; give it a version above the newest applied one");
            }
            if (code == CoreErrorCode.FAILED_VERSIONED_MIGRATION) {
                return new DbToolException(ExitCode.RUNTIME, FlywayFactory.HISTORY_TABLE + " records a failed run of "
                        + file + "; check what it left in the database, then delete that row (success = false)");
            }
        }
        String message = result.errorDetails != null ? result.errorDetails.errorMessage : result.getAllErrorMessages();
        return DbToolException.usage("migrations in " + dir + " do not match " + FlywayFactory.HISTORY_TABLE + ": "
                + firstLine(message));
    }

    /** A failure outside any one migration (reading the directory, the history table, connecting). */
    static DbToolException unexpected(RuntimeException e, Path dir) {
        Optional<DbToolException> ours = find(e, DbToolException.class);
        if (ours.isPresent()) {
            return ours.get(); // e.g. Connections' one-line "cannot reach PostgreSQL" from our DataSource
        }
        if (e instanceof FlywayValidateException) {
            return DbToolException.usage("migrations in " + dir + " do not match " + FlywayFactory.HISTORY_TABLE
                    + ": " + firstLine(e.getMessage()));
        }
        Optional<SQLException> sql = find(e, SQLException.class);
        if (sql.isPresent()) {
            return DbToolException.runtime("database error while reading migration state: " + describe(sql.get()), e);
        }
        // Flyway's own checks (file naming, missing location): the file names are on the lines after the first.
        return DbToolException.usage("migrations in " + dir + ": " + joinLines(e.getMessage()));
    }

    static boolean isLockTimeout(Throwable e) {
        return find(e, SQLException.class).map(s -> LOCK_NOT_AVAILABLE.equals(s.getSQLState())).orElse(false);
    }

    /** {@code ERROR: ... (SQLSTATE x)} of the innermost SQL error, or the exception's first line. */
    static String cause(Throwable e) {
        return find(e, SQLException.class).map(FlywayFailures::describe).orElse(firstLine(e.getMessage()));
    }

    private static String describe(SQLException e) {
        SQLException inner = e;
        while (inner.getNextException() != null) {
            inner = inner.getNextException();
        }
        return firstLine(inner.getMessage()) + " (SQLSTATE " + inner.getSQLState() + ")";
    }

    static <T extends Throwable> Optional<T> find(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return Optional.of(type.cast(t));
            }
        }
        return Optional.empty();
    }

    /** A multi-line Flyway message as one line, since the CLI prints one line per failure. */
    static String joinLines(String message) {
        if (message == null) {
            return "unknown error";
        }
        String joined = String.join(" ", message.strip().split("\\s*\\R\\s*"));
        return joined.length() > 400 ? joined.substring(0, 400) + "..." : joined;
    }

    static String firstLine(String message) {
        if (message == null) {
            return "unknown error";
        }
        String s = message.strip();
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl).strip();
    }
}
