package dbtool;

/**
 * An expected failure: its message is the one line a user sees (the cause and the fix), its exit code
 * is what the process returns. The CLI prints these without a stack trace unless -v is given.
 */
public class DbToolException extends RuntimeException {
    private final ExitCode exitCode;

    public DbToolException(ExitCode exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public DbToolException(ExitCode exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public ExitCode exitCode() {
        return exitCode;
    }

    public static DbToolException usage(String message) {
        return new DbToolException(ExitCode.USAGE, message);
    }

    public static DbToolException runtime(String message, Throwable cause) {
        return new DbToolException(ExitCode.RUNTIME, message, cause);
    }

    public static DbToolException archive(String message) {
        return new DbToolException(ExitCode.ARCHIVE, message);
    }
}
