package dbtool.pg;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.config.ConnectionSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.regex.Pattern;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.commons.exec.CommandLine;
import org.apache.commons.exec.DefaultExecutor;
import org.apache.commons.exec.ExecuteException;
import org.apache.commons.exec.LogOutputStream;
import org.apache.commons.exec.PumpStreamHandler;
import org.apache.commons.exec.ShutdownHookProcessDestroyer;

/**
 * Runs one pg_dump or pg_restore and turns its output into {@link PgEvent}s. The password travels in the child's
 * environment (PGPASSWORD), never in its argument list, which any local user can read with ps.
 *
 * <p>Output is decoded as UTF-8 whatever dbtool's own locale is (cron's bare environment would make Java read it as
 * US-ASCII and mangle every non-ASCII table name), and the tools print their messages in English (LC_ALL, which
 * would override LC_MESSAGES, is removed), so that {@link PgEvent#parse} can recognise them.
 *
 * <p>The tool runs in a process group of its own, under a small shell that kills the whole group when dbtool dies,
 * even by kill -9: pg_dump's and pg_restore's parallel workers are forked children that a parent-death signal on
 * the leader alone would leave running.
 */
public final class PgProcess {

    private static final int KEPT_LINES = 40;

    private final PgTool tool;
    private final List<String> arguments;
    private final ConnectionSettings connection;
    private final Consumer<PgEvent> listener;

    public PgProcess(PgTool tool, List<String> arguments, ConnectionSettings connection, Consumer<PgEvent> listener) {
        this.tool = tool;
        this.arguments = List.copyOf(arguments);
        this.connection = connection;
        this.listener = listener;
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

    /**
     * A finished run.
     *
     * @param errors every error line, in the order printed: the first is the real cause
     * @param diskFull whether the tool said the disk is full
     */
    public record Result(String tool, int exitCode, List<String> lastLines, List<String> errors, boolean diskFull) {

        public boolean ok() {
            return exitCode == 0;
        }

        /** The first error line, else the last line printed, without the tool's "pg_dump: error: " prefix. */
        public String firstError() {
            // Parallel workers share one stderr: a line can start as an error and continue with another worker's
            // "pg_restore: finished item ..." line. Report the first error that is whole.
            String line = errors.stream().filter(e -> !GARBLED.matcher(strip(e)).find()).findFirst()
                    .orElse(!errors.isEmpty() ? errors.get(0)
                            : lastLines.isEmpty() ? "no output" : lastLines.get(lastLines.size() - 1));
            return strip(line);
        }

        private static final Pattern GARBLED = Pattern.compile("^pg_(?:dump|restore|dumpall): ");

        private static String strip(String line) {
            return line.strip().replaceFirst("^pg_(?:dump|restore|dumpall): (?:error|fatal): ", "");
        }

        /** A failure of this run as an exception type: {@link PgToolFailure.DiskFull} or {@link PgToolFailure}. */
        public PgToolFailure failure(String message) {
            return diskFull ? new PgToolFailure.DiskFull(tool, exitCode, firstError(), message)
                    : new PgToolFailure(tool, exitCode, firstError(), message);
        }
    }

    /**
     * setpriv gives the shell a parent-death signal (SIGTERM when dbtool dies, also by kill -9), setsid a process
     * group of its own; the shell's trap then kills that group: the tool and every worker it forked. Neither
     * forks, so the shell's parent is dbtool's thread that waits for it. Null where util-linux is missing.
     */
    private static final List<String> GROUP_KILLER = groupKiller();

    /** Does the one-time set-up (a {@code setpriv --help} run) now, e.g. beside other start-up work, not at the first run. */
    public static void prepare() {
        // loading this class ran groupKiller()
    }

    static final String GROUP_SCRIPT = "trap 'kill -9 0' TERM INT HUP; \"$@\" & wait $!";

    private static List<String> groupKiller() {
        Path setpriv = executable("setpriv");
        Path setsid = executable("setsid");
        Path sh = Path.of("/bin/sh");
        if (setpriv == null || setsid == null || !Files.isExecutable(sh) || !supportsPdeathsig(setpriv)) {
            return null;
        }
        return List.of(setpriv.toString(), "--pdeathsig", "TERM", "--", setsid.toString(), sh.toString(), "-c",
                GROUP_SCRIPT, "dbtool-" + "pg");
    }

    private static Path executable(String name) {
        for (String dir : new String[] {"/usr/bin", "/bin", "/usr/sbin", "/sbin"}) {
            Path path = Path.of(dir, name);
            if (Files.isExecutable(path)) {
                return path;
            }
        }
        return null;
    }

    private static boolean supportsPdeathsig(Path setpriv) {
        try {
            Process p = new ProcessBuilder(setpriv.toString(), "--help").redirectErrorStream(true).start();
            String help = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.waitFor() == 0 && help.contains("--pdeathsig");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public Result run() {
        // The synchronous execute below starts the child from this thread, which waits for it: the
        // parent-death signal fires only when dbtool itself dies.
        CommandLine command;
        if (GROUP_KILLER != null) {
            command = new CommandLine(GROUP_KILLER.get(0));
            GROUP_KILLER.subList(1, GROUP_KILLER.size()).forEach(a -> command.addArgument(a, false));
            command.addArgument(tool.executable().toString(), false);
        } else {
            command = new CommandLine(tool.executable().toString());
        }
        for (String arg : arguments) {
            command.addArgument(arg, false);
        }
        Deque<String> last = new ArrayDeque<>();
        List<String> errors = new ArrayList<>();
        boolean[] diskFull = {false};
        Consumer<String> onLine = line -> {
            PgEvent event = PgEvent.parse(line);
            synchronized (last) {
                if (last.size() == KEPT_LINES) {
                    last.removeFirst();
                }
                last.addLast(line);
                if (event instanceof PgEvent.Error || event instanceof PgEvent.DiskFull) {
                    errors.add(line);
                }
                if (event instanceof PgEvent.DiskFull) {
                    diskFull[0] = true;
                }
            }
            listener.accept(event);
        };
        // One decoder per stream: the two pump threads must not interleave bytes in one line buffer.
        LogOutputStream out = lines(onLine);
        LogOutputStream err = lines(onLine);
        DefaultExecutor executor = DefaultExecutor.builder().get();
        executor.setStreamHandler(new PumpStreamHandler(out, err));
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
            closeQuietly(out);
            closeQuietly(err);
        }
        synchronized (last) {
            return new Result(tool.name(), exit, List.copyOf(last), List.copyOf(errors), diskFull[0]);
        }
    }

    private static LogOutputStream lines(Consumer<String> onLine) {
        return new LogOutputStream(0, StandardCharsets.UTF_8) {
            @Override
            protected void processLine(String line, int level) {
                onLine.accept(line);
            }
        };
    }

    private static void closeQuietly(LogOutputStream stream) {
        try {
            stream.close();
        } catch (IOException ignored) {
            // nothing left to flush that matters
        }
    }

    /** The child's environment: dbtool's, plus the connection's secrets and a fixed message locale. */
    Map<String, String> environment() {
        Map<String, String> env = new HashMap<>(System.getenv());
        if (connection.password() != null) {
            env.put("PGPASSWORD", connection.password());
        }
        env.putIfAbsent("PGCONNECT_TIMEOUT", "10");
        if (connection.sslmode() != null) {
            env.put("PGSSLMODE", connection.sslmode());
        }
        env.put("PGAPPNAME", "dbtool");
        // Messages are parsed and shown to users: English. LC_ALL would override LC_MESSAGES, LANGUAGE too.
        env.remove("LC_ALL");
        env.remove("LANGUAGE");
        env.put("LC_MESSAGES", "C");
        return env;
    }
}
