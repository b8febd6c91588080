package dbtool.testing;

import dbtool.cli.DbTool;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** One in-process dbtool run with its exit code and captured output, as a shell user would see them. */
public record CliRun(int exitCode, String out, String err) {

    public static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = DbTool.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new CliRun(code, out.toString(), err.toString());
    }

    public static CliRun of(List<String> args) {
        return of(args.toArray(String[]::new));
    }

    /** A run with {@code environment} laid over this process's (AWS_* keys for a test S3 server, say). */
    public static CliRun withEnvironment(Map<String, String> environment, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = DbTool.run(new PrintWriter(out, true), new PrintWriter(err, true), environment, args);
        return new CliRun(code, out.toString(), err.toString());
    }

    /** Non-empty stderr lines. */
    public List<String> errLines() {
        return Arrays.stream(err.split("\\R")).filter(l -> !l.isBlank()).toList();
    }

    /** The last non-empty stdout line: where export prints the archive's path. */
    public String lastOutLine() {
        List<String> lines = Arrays.stream(out.split("\\R")).filter(l -> !l.isBlank()).toList();
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1).strip();
    }

    /** Same as {@link #lastOutLine()}. */
    public String lastLine() {
        return lastOutLine();
    }

    /** For assertion messages: everything the user saw. */
    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}
