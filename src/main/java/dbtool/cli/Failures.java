package dbtool.cli;

import dbtool.DbToolException;
import dbtool.ExitCode;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * The one place where failures become exit codes and one line on stderr. Expected failures
 * (DbToolException, bad flags) never show a stack trace; -v adds it.
 */
final class Failures implements IExecutionExceptionHandler, IParameterExceptionHandler {

    private final DbTool root;

    Failures(DbTool root) {
        this.root = root;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine command, ParseResult parseResult) {
        PrintWriter err = command.getErr();
        if (ex instanceof DbToolException known) {
            err.println("dbtool: error: " + known.getMessage());
            if (root.verbose && known.getCause() != null) {
                known.printStackTrace(err);
            }
            err.flush();
            return known.exitCode().code();
        }
        if (ex instanceof CommandLine.ParameterException pe) {
            return handleParseException(pe, new String[0]);
        }
        err.println("dbtool: error: unexpected " + ex.getClass().getSimpleName() + ": " + ex.getMessage()
                + (root.verbose ? "" : " (run with -v for details)"));
        if (root.verbose) {
            ex.printStackTrace(err);
        }
        err.flush();
        return ExitCode.RUNTIME.code();
    }

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine command = ex.getCommandLine();
        PrintWriter err = command.getErr();
        String name = command.getCommandSpec().qualifiedName();
        err.println("dbtool: error: " + ex.getMessage() + " (see '" + name + " --help')");
        err.flush();
        return ExitCode.USAGE.code();
    }
}
