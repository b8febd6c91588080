package dbtool.pg;

import dbtool.DbToolException;
import dbtool.ExitCode;

/**
 * pg_dump or pg_restore exited with an error. {@link #firstError()} is the first error line it printed (its real
 * cause: later lines are often consequences, like workers failing after the leader did).
 */
public class PgToolFailure extends DbToolException {

    private final String tool;
    private final int toolExitCode;
    private final String firstError;

    public PgToolFailure(String tool, int toolExitCode, String firstError, String message) {
        super(ExitCode.RUNTIME, message);
        this.tool = tool;
        this.toolExitCode = toolExitCode;
        this.firstError = firstError;
    }

    public String tool() {
        return tool;
    }

    public int toolExitCode() {
        return toolExitCode;
    }

    public String firstError() {
        return firstError;
    }

    /** The tool could not write: the disk is full. Runtime (exit 1), with a message naming where to free space. */
    public static final class DiskFull extends PgToolFailure {
        public DiskFull(String tool, int toolExitCode, String firstError, String message) {
            super(tool, toolExitCode, firstError, message);
        }
    }
}
