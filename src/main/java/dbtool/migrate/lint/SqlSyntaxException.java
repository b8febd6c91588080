package dbtool.migrate.lint;

/** The script cannot be split into statements, e.g. a string or comment is never closed. */
public final class SqlSyntaxException extends IllegalArgumentException {
    private final int line;

    public SqlSyntaxException(int line, String message) {
        super(message);
        this.line = line;
    }

    /** The 1-based line where the offending construct starts. */
    public int line() {
        return line;
    }
}
