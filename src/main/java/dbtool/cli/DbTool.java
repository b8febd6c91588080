package dbtool.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dbtool.config.ConfigLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import dbtool.storage.Stores;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** The dbtool command line. Global options work before or after the subcommand. */
@Command(name = "dbtool",
        scope = ScopeType.INHERIT,
        mixinStandardHelpOptions = true,
        versionProvider = DbTool.Version.class,
        description = "Moves PostgreSQL databases safely: verified archives, checked imports, backups and migrations.",
        subcommands = {ExportCommand.class, ImportCommand.class, CopyCommand.class, InspectCommand.class, VerifyCommand.class,
                BackupCommand.class, BackupsCommand.class, ScheduleCommand.class,
                MigrateCommand.class, CompareCommand.class, LintCommand.class, KeygenCommand.class,
                CommandLine.HelpCommand.class},
        usageHelpAutoWidth = false,
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:ok",
            "1:runtime failure (server unreachable, pg_dump or pg_restore failed, disk full)",
            "2:usage or config error (bad flag, unknown project, bad config, target not empty)",
            "3:validation failed (row counts or data checks differ)",
            "4:archive unusable (checksum mismatch, truncated, not a dbtool archive, unsafe entry)",
            "5:another run holds the project's lock",
            "6:lint found hazards",
            "7:backup written, but rows dropped sharply since the previous backup"})
public final class DbTool implements Runnable {

    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "Config file (default: $DBTOOL_CONFIG, ./config/dbtool.yaml, ~/.config/dbtool/dbtool.yaml).")
    Path configFile;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "Print one JSON document on stdout instead of text.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT, description = "Print only results and errors.")
    boolean quiet;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Show tool output and stack traces of failures.")
    boolean verbose;

    @Option(names = "--log-format", paramLabel = "text|json", scope = ScopeType.INHERIT, defaultValue = "text",
            converter = LogFormat.Converter.class,
            description = "Log lines on stderr as text (default) or one JSON object per line (time, level, project,"
                    + " event, fields) for log collectors.")
    LogFormat logFormat = LogFormat.TEXT;

    /** A command already printed its JSON document: a failure after that must not print a second one. */
    boolean jsonPrinted;

    /** The process environment (config ${VAR}s, AWS_* for buckets); tests hand in their own. */
    Function<String, String> environment = System::getenv;

    public static void main(String[] args) {
        Interrupts.install(System.err);
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs dbtool as the shell would, with output captured by the given writers; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return run(out, err, Map.of(), args);
    }

    /** As {@link #run(PrintWriter, PrintWriter, String...)}, with {@code environment} laid over the process's. */
    public static int run(PrintWriter out, PrintWriter err, Map<String, String> environment, String... args) {
        DbTool root = new DbTool();
        if (!environment.isEmpty()) {
            Map<String, String> overlay = Map.copyOf(environment);
            root.environment = name -> overlay.containsKey(name) ? overlay.get(name) : System.getenv(name);
        }
        CommandLine cli = new CommandLine(root);
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler(new Failures(root));
        cli.setParameterExceptionHandler(new Failures(root));
        int code = cli.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    ConfigLoader.Config config() {
        ConfigLoader loader = new ConfigLoader(environment);
        return loader.locate(configFile).map(loader::load)
                .orElseGet(ConfigLoader.Config::none);
    }

    /** Opens local directories and buckets, with the config's storage settings and the AWS environment. */
    Stores stores(ConfigLoader.Config config) {
        return new Stores(config.storage(), environment);
    }

    CliReporter reporter(CommandSpec command) {
        return new CliReporter(command.commandLine().getErr(), quiet || json, verbose, !json && !quiet, logFormat);
    }

    /** Text for people, or with --json the same facts as one JSON document. */
    void print(CommandSpec command, Object jsonValue, String text) {
        PrintWriter out = command.commandLine().getOut();
        if (json) {
            jsonPrinted = true;
            try {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                        .findAndRegisterModules().writeValueAsString(jsonValue));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        } else if (text != null && !text.isEmpty()) {
            out.println(text);
        }
        out.flush();
    }

    static String version() {
        try (InputStream in = DbTool.class.getResourceAsStream("/dbtool/version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            String v = p.getProperty("version", "dev");
            return v.startsWith("${") ? "dev" : v;
        } catch (IOException e) {
            return "dev";
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"dbtool " + version()};
        }
    }
}
