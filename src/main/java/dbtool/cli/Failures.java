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
        if (Interrupts.happened()) {
            return ExitCode.RUNTIME.code(); // the signal handler has said what happened and chosen the exit code
        }
        if (ex instanceof DbToolException known) {
            printError(err, known.exitCode(), known.getMessage());
            printJsonFailure(command, known.exitCode(), known.getMessage());
            if (root.verbose && known.getCause() != null) {
                known.printStackTrace(err);
            }
            err.flush();
            return known.exitCode().code();
        }
        if (ex instanceof CommandLine.ParameterException pe) {
            return handleParseException(pe, new String[0]);
        }
        printError(err, ExitCode.RUNTIME, "unexpected " + ex.getClass().getSimpleName() + ": " + ex.getMessage()
                + (root.verbose ? "" : " (run with -v for details)"));
        printJsonFailure(command, ExitCode.RUNTIME, ex.getClass().getSimpleName() + ": " + ex.getMessage());
        if (root.verbose) {
            ex.printStackTrace(err);
        }
        err.flush();
        return ExitCode.RUNTIME.code();
    }

    /** The one error line: "dbtool: error: ...", or with --log-format json an object a log collector can alert on. */
    private void printError(PrintWriter err, ExitCode code, String message) {
        if (root.logFormat == LogFormat.JSON) {
            err.println(LogFormat.JSON.line("error", null, "failed",
                    java.util.Map.of("exit_code", code.code(), "message", message)));
        } else {
            err.println("dbtool: error: " + message);
        }
    }

    /** With --json, scripts read stdout only: they get a document for failures too. */
    private void printJsonFailure(CommandLine command, ExitCode code, String message) {
        if (!root.json || root.jsonPrinted) {
            return;
        }
        java.util.Map<String, Object> doc = new java.util.LinkedHashMap<>();
        doc.put("ok", false);
        doc.put("exit_code", code.code());
        doc.put("error", message);
        try {
            command.getOut().println(new com.fasterxml.jackson.databind.ObjectMapper()
                    .enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
            command.getOut().flush();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** picocli's suggestions for a mistyped command or option, on the same line. */
    private static String didYouMean(ParameterException ex) {
        if (!(ex instanceof CommandLine.UnmatchedArgumentException unmatched)) {
            return "";
        }
        java.util.List<String> suggestions = unmatched.getSuggestions();
        if (suggestions.isEmpty()) {
            return "";
        }
        return "; did you mean " + String.join(" or ", suggestions.stream().limit(3).map(s -> "'" + s + "'").toList())
                + "?";
    }

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine command = ex.getCommandLine();
        PrintWriter err = command.getErr();
        String name = command.getCommandSpec().qualifiedName();
        String message = ex.getMessage().startsWith("Error: ") ? ex.getMessage().substring(7) : ex.getMessage();
        if (ex instanceof CommandLine.UnmatchedArgumentException unmatched && !unmatched.isUnknownOption()
                && !command.getSubcommands().isEmpty() && !unmatched.getUnmatched().isEmpty()) {
            message = "unknown command '" + unmatched.getUnmatched().get(0) + "'";
        }
        err.println("dbtool: error: " + message + didYouMean(ex) + " (see '" + name + " --help')");
        err.flush();
        printJsonFailure(command, ExitCode.USAGE, ex.getMessage());
        return ExitCode.USAGE.code();
    }
}
