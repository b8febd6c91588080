package dbtool.pg;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.config.ConnectionSettings;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.commons.exec.CommandLine;
import org.apache.commons.exec.DefaultExecutor;
import org.apache.commons.exec.ExecuteException;
import org.apache.commons.exec.LogOutputStream;
import org.apache.commons.exec.PumpStreamHandler;
import org.apache.commons.exec.ShutdownHookProcessDestroyer;

/**
 * Runs one pg_dump or pg_restore. The password travels in the child's environment (PGPASSWORD),
 * never in its argument list, which any local user can read with ps. Output is handed over line by
 * line as it arrives, and the last lines are kept for the error message.
 */
public final class PgProcess {

    private static final int KEPT_LINES = 40;

    private final PgTool tool;
    private final List<String> arguments;
    private final ConnectionSettings connection;
    private final Consumer<String> lineListener;

    public PgProcess(PgTool tool, List<String> arguments, ConnectionSettings connection, Consumer<String> lineListener) {
        this.tool = tool;
        this.arguments = List.copyOf(arguments);
        this.connection = connection;
        this.lineListener = lineListener;
    }

    /** Connection arguments for libpq tools; never the password. */
    public static List<String> connectionArguments(ConnectionSettings c) {
        List<String> args = new ArrayList<>(List.of("--host", c.host(), "--port", String.valueOf(c.port()),
                "--dbname", c.database(), "--no-password"));
        if (c.user() != null && !c.user().isBlank()) {
            args.add("--username");
            args.add(c.user());
        }
        return args;
    }

    /** The result of a finished run: exit status and the last lines it printed. */
    public record Result(int exitCode, List<String> lastLines) {}

    /**
     * util-linux's setpriv, when it can set a parent-death signal: a dbtool killed with SIGKILL (no
     * shutdown hooks run) then takes its pg_dump / pg_restore down with it instead of leaving an orphan
     * that goes on loading the server and writing into a directory the next run will clean up.
     */
    private static final String SETPRIV = findSetpriv();

    private static String findSetpriv() {
        for (String candidate : new String[] {"/usr/bin/setpriv", "/bin/setpriv"}) {
            java.nio.file.Path path = java.nio.file.Path.of(candidate);
            if (java.nio.file.Files.isExecutable(path)) {
                try {
                    Process p = new ProcessBuilder(candidate, "--help").redirectErrorStream(true).start();
                    String help = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                    if (p.waitFor() == 0 && help.contains("--pdeathsig")) {
                        return candidate;
                    }
                } catch (IOException e) {
                    return null;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
        }
        return null;
    }

    public Result run() {
        // The synchronous execute below starts the child from this thread, which waits for it: the
        // parent-death signal fires only when dbtool itself dies.
        CommandLine command;
        if (SETPRIV != null) {
            command = new CommandLine(SETPRIV);
            command.addArgument("--pdeathsig", false);
            command.addArgument("KILL", false);
            command.addArgument("--", false);
            command.addArgument(tool.executable().toString(), false);
        } else {
            command = new CommandLine(tool.executable().toString());
        }
        for (String arg : arguments) {
            command.addArgument(arg, false);
        }
        Deque<String> last = new ArrayDeque<>();
        LogOutputStream lines = new LogOutputStream() {
            @Override
            protected void processLine(String line, int level) {
                synchronized (last) {
                    if (last.size() == KEPT_LINES) {
                        last.removeFirst();
                    }
                    last.addLast(line);
                }
                lineListener.accept(line);
            }
        };
        DefaultExecutor executor = DefaultExecutor.builder().get();
        executor.setStreamHandler(new PumpStreamHandler(lines, lines));
        // Ctrl-C or kill of dbtool must not leave an orphan pg_dump writing into the work directory.
        executor.setProcessDestroyer(new ShutdownHookProcessDestroyer());
        executor.setExitValues(null);
        int exit;
        try {
            exit = executor.execute(command, environment());
        } catch (ExecuteException e) {
            exit = e.getExitValue();
        } catch (IOException e) {
            throw new DbToolException(ExitCode.RUNTIME, "cannot run " + tool.executable() + ": " + e.getMessage(), e);
        } finally {
            try {
                lines.close();
            } catch (IOException ignored) {
                // nothing left to flush that matters
            }
        }
        synchronized (last) {
            return new Result(exit, List.copyOf(last));
        }
    }

    private Map<String, String> environment() {
        Map<String, String> env = new HashMap<>(System.getenv());
        if (connection.password() != null) {
            env.put("PGPASSWORD", connection.password());
        }
        env.putIfAbsent("PGCONNECT_TIMEOUT", "10");
        if (connection.sslmode() != null) {
            env.put("PGSSLMODE", connection.sslmode());
        }
        env.put("PGAPPNAME", "dbtool");
        // Messages are parsed for progress and shown to users: keep them in English.
        env.put("LC_MESSAGES", "C");
        return env;
    }
}
