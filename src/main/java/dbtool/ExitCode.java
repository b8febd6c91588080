package dbtool;

/** The documented exit statuses of every dbtool command. Scripts and cron depend on these numbers. */
public enum ExitCode {
    OK(0),
    /** Server unreachable, pg_dump or pg_restore failed, disk full: the run could not finish. */
    RUNTIME(1),
    /** Bad flag, bad config, unknown project, target not empty without --clean --yes. */
    USAGE(2),
    /** Data checks failed: row counts differ, a migration's verify line was false, databases differ. */
    VALIDATION(3),
    /** The archive cannot be trusted: checksum mismatch, truncated, not a dbtool archive, unsafe entry. */
    ARCHIVE(4),
    /** Another dbtool run holds the lock of this project. */
    LOCKED(5),
    /** lint found hazards. */
    LINT(6),
    /** Backup written (and kept), but rows dropped sharply since the previous backup: a drift alert. */
    DRIFT(7);

    private final int code;

    ExitCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
