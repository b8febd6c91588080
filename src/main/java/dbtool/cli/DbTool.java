package dbtool.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dbtool.config.ConfigLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
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
        usageHelpAutoWidth = false)
public final class DbTool implements Runnable {

    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", scope = ScopeType.INHERIT,
            // One element per path: picocli's line breaking would split "dbtool.yaml" at its dot.
            description = {"Config file. Default: $DBTOOL_CONFIG,", "else ./config/dbtool.yaml,",
                "else ~/.config/dbtool/dbtool.yaml."})
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

    /** The subcommands, in the order {@code dbtool --help} lists them. */
    static final List<Class<?>> SUBCOMMANDS = List.of(ExportCommand.class, ImportCommand.class, CopyCommand.class,
            InspectCommand.class, VerifyCommand.class, BackupCommand.class, BackupsCommand.class, ScheduleCommand.class,
            MigrateCommand.class, CompareCommand.class, LintCommand.class, KeygenCommand.class, DoctorCommand.class,
            CompletionCommand.class, ManPagesCommand.class, CommandLine.HelpCommand.class);

    static final java.util.Map<String, String> EXIT_CODES = exitCodes();

    private static java.util.Map<String, String> exitCodes() {
        java.util.Map<String, String> codes = new java.util.LinkedHashMap<>();
        codes.put("0", "ok");
        codes.put("1", "runtime failure (server unreachable, pg_dump or pg_restore failed, disk full)");
        codes.put("2", "usage or config error (bad flag, unknown project, bad config, target not empty)");
        codes.put("3", "validation failed (row counts or data checks differ)");
        codes.put("4", "archive unusable (checksum mismatch, truncated, not a dbtool archive, unsafe entry)");
        codes.put("5", "another run holds the project's lock");
        codes.put("6", "lint found hazards");
        codes.put("7", "backup written, but rows dropped sharply since the previous backup");
        codes.put("130", "interrupted by Ctrl-C (SIGINT); temporary files removed");
        codes.put("143", "stopped by SIGTERM; temporary files removed");
        return java.util.Collections.unmodifiableMap(codes);
    }

    /** A command already printed its JSON document: a failure after that must not print a second one. */
    boolean jsonPrinted;

    /** The process environment (config ${VAR}s, AWS_* for buckets); tests hand in their own. */
    Function<String, String> environment = System::getenv;

    public static void main(String[] args) {
        Interrupts.install(System.err);
        if (java.util.Arrays.asList(args).contains("import")) {
            // An import reads the manifest first thing; Jackson's first use costs ~0.3 s of CPU that a second core
            // spends while picocli builds the command (measured: ~0.6 s of class loading and set-up at load 8).
            Thread warmUp = new Thread(() -> {
                dbtool.archive.ManifestJson.warmUp();
                dbtool.pg.Connections.warmUp();
            }, "dbtool-warm-up");
            warmUp.setDaemon(true);
            warmUp.start();
        }
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
        CommandLine cli = commandLine(root, args);
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler(new Failures(root));
        cli.setParameterExceptionHandler(new Failures(root));
        int code = cli.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** The command tree with the subcommands {@code args} need; given no arguments, all of them (man pages, completion). */
    static CommandLine commandLine(DbTool root, String... args) {
        CommandLine cli = new CommandLine(root);
        for (Class<?> subcommand : subcommandsFor(cli.getCommandSpec(), args)) {
            cli.addSubcommand(subcommand);
        }
        cli.getSubcommands().values().forEach(DbTool::standardHelpLast);
        // Only on `dbtool --help`: set after the subcommands were added, which copy the root's usage attributes.
        cli.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(EXIT_CODES);
        return cli;
    }

    /**
     * Only the subcommand the arguments name gets its model built: picocli reflects over every option of every
     * registered command up front, ~30 command classes, on every export and import (with the static CDS archive of
     * scripts/dbtool, `dbtool --version` went from 0.57 to 0.20 s of CPU). Everything else (no command, --help
     * before the command, an unknown or misspelt name, help, an @argument file) gets all of them, so listings and
     * "did you mean" stay complete.
     */
    static List<Class<?>> subcommandsFor(CommandSpec rootSpec, String... args) {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.startsWith("@") || arg.equals("--") || arg.equals("-h") || arg.equals("--help")) {
                return SUBCOMMANDS;
            }
            if (arg.startsWith("-")) {
                CommandLine.Model.OptionSpec option = rootSpec.findOption(arg);
                if (option != null && option.arity().max() > 0 && !arg.contains("=")) {
                    i++; // its value (--config FILE), not a command name
                }
                continue;
            }
            for (Class<?> subcommand : SUBCOMMANDS) {
                Command command = subcommand.getAnnotation(Command.class);
                if (command.name().equals(arg) || List.of(command.aliases()).contains(arg)) {
                    // help lists or describes the others; completion and manpages build their own whole tree
                    return subcommand == CommandLine.HelpCommand.class ? SUBCOMMANDS : List.of(subcommand);
                }
            }
            return SUBCOMMANDS;
        }
        boolean versionOnly = List.of(args).stream().anyMatch(a -> a.equals("-V") || a.equals("--version"))
                && List.of(args).stream().noneMatch(a -> a.equals("-h") || a.equals("--help"));
        return versionOnly ? List.of() : SUBCOMMANDS;
    }

    /**
     * A subcommand added after the root was built gets the inherited --help/--version before the root's other
     * inherited options; built from the annotation they came last, and the help texts keep that order.
     */
    private static void standardHelpLast(CommandLine command) {
        CommandSpec spec = command.getCommandSpec();
        for (CommandLine.Model.OptionSpec option : List.copyOf(spec.options())) {
            if (option.usageHelp() || option.versionHelp()) {
                spec.remove(option);
                spec.addOption(option);
            }
        }
        command.getSubcommands().values().forEach(DbTool::standardHelpLast);
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
        if (json && jsonValue != null && !(jsonValue instanceof java.util.Map<?, ?>)
                && !(jsonValue instanceof java.util.Collection<?>)) {
            jsonValue = new ObjectMapper().findAndRegisterModules().convertValue(jsonValue, java.util.LinkedHashMap.class);
        }
        if (json && jsonValue instanceof java.util.Map<?, ?> fields) {
            // Every document says first whether the command succeeded; commands that can finish with a failure
            // (compare, lint, import, backup, doctor) set "ok" themselves. Keys keep a stable order: a Map.of's
            // order changes from run to run, so such maps are sorted by key.
            java.util.Map<Object, Object> ordered = new java.util.LinkedHashMap<>();
            ordered.put("ok", fields.containsKey("ok") ? fields.get("ok") : Boolean.TRUE);
            ordered.putAll(fields instanceof java.util.LinkedHashMap<?, ?> || fields instanceof java.util.SortedMap<?, ?>
                    ? fields : new java.util.TreeMap<>(fields));
            jsonValue = ordered;
        }
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
