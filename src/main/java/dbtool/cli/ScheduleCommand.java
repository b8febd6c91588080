package dbtool.cli;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.config.ConfigLoader;
import dbtool.config.ProjectConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "schedule", sortOptions = false, usageHelpAutoWidth = false,
        description = {"Print a crontab line that runs 'dbtool backup' every night, or add it to your crontab (--install).",
            "The line names java, dbtool.jar, the config and the log files by absolute path and changes into this"
                + " directory first, so it works in cron's bare environment (no PATH, no HOME, another working directory)."})
final class ScheduleCommand implements Callable<Integer> {

    private static final Pattern AT = Pattern.compile("([01]?\\d|2[0-3]):([0-5]\\d)");
    /** Marks the line(s) dbtool manages, one per project (or "--all"), so --install can replace them. */
    static final String MARKER = "# dbtool schedule: ";

    @ParentCommand
    DbTool root;

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    static final class Which {
        @Option(names = "--project", paramLabel = "NAME", description = "Back up this project.")
        String project;

        @Option(names = "--all", description = "Back up every project of the config file.")
        boolean all;
    }

    @Option(names = "--at", paramLabel = "HH:MM", defaultValue = "03:00",
            description = "Time of day, in the machine's time zone as cron uses it (default: ${DEFAULT-VALUE}).")
    String at;

    @Option(names = "--verify", description = "Pass --verify to the backup (or set backup.verify: true in the config).")
    boolean verify;

    @Option(names = "--log", paramLabel = "FILE",
            description = "Log file (default: dbtool-backup.log in the backup directory; for --all in their common parent).")
    Path log;

    @Option(names = "--install", description = "Add the line to your crontab, replacing an earlier one for the same project.")
    boolean install;

    @Override
    public Integer call() {
        Matcher m = AT.matcher(at);
        if (!m.matches()) {
            throw DbToolException.usage("--at must be HH:MM (24 hours), got '" + at + "'");
        }
        ConfigLoader loader = ConfigLoader.fromSystemEnvironment();
        Path configFile = loader.locate(root.configFile)
                .orElseThrow(() -> DbToolException.usage("no config file found; give --config FILE so the crontab line"
                        + " can name it"))
                .toAbsolutePath().normalize();
        ConfigLoader.Config config = loader.load(configFile);
        List<ProjectConfig> projects = which.all ? List.copyOf(config.projects().values())
                : List.of(config.project(which.project));
        if (projects.isEmpty()) {
            throw DbToolException.usage(configFile + " defines no projects; add one under projects:");
        }
        Path logFile = (log != null ? log : defaultLog(projects)).toAbsolutePath().normalize();
        Path cronLog = logFile.resolveSibling(logFile.getFileName() + ".cron");
        String key = which.all ? "--all" : which.project;
        String line = Integer.parseInt(m.group(2)) + " " + Integer.parseInt(m.group(1)) + " * * * "
                + command(configFile, logFile, cronLog);
        String marker = MARKER + key;
        try {
            // The shell opens the >> file before dbtool runs; its directory must already exist then.
            Files.createDirectories(cronLog.getParent());
        } catch (IOException e) {
            throw DbToolException.usage("cannot create the log directory " + cronLog.getParent() + " ("
                    + e.getMessage() + "); choose another --log");
        }
        // Printed first, so that even when --install fails the line is there to add by hand.
        root.print(spec, java.util.Map.of("crontab_line", line, "marker", marker, "install", install,
                "log", logFile.toString(), "cron_output", cronLog.toString()), marker + System.lineSeparator() + line);
        if (install) {
            install(marker, line);
            root.reporter(spec).info("installed in your crontab (" + marker.substring(2) + "); see it with crontab -l");
        }
        return 0;
    }

    /**
     * cd first: relative paths in the config (backup.dir: ./backups/{project}) mean what they meant here. -q keeps
     * stdout/stderr for warnings and errors only; the full log goes to --log. Anything else that is printed (a JVM
     * that cannot start, a crash) lands in the .cron file instead of cron's mail, which is often not set up.
     */
    private String command(Path configFile, Path logFile, Path cronLog) {
        Path java = stableJava(Path.of(System.getProperty("java.home"), "bin", "java").toAbsolutePath().normalize(),
                STABLE_JAVA_LINKS);
        Path cwd = Path.of("").toAbsolutePath();
        List<String> words = new ArrayList<>(List.of(java.toString(), "-Xmx256m", "-jar", jar().toString(), "backup"));
        if (which.all) {
            words.add("--all");
        } else {
            words.add("--project");
            words.add(which.project);
        }
        if (verify) {
            words.add("--verify");
        }
        words.addAll(List.of("--config", configFile.toString(), "--log", logFile.toString(), "-q"));
        return "cd " + quote(cwd.toString()) + " && " + String.join(" ", words.stream().map(ScheduleCommand::quote).toList())
                + " >> " + quote(cronLog.toString()) + " 2>&1";
    }

    /** Links the OS keeps pointing at the current Java across upgrades (Debian's alternatives, default-java). */
    static final List<Path> STABLE_JAVA_LINKS = List.of(Path.of("/usr/bin/java"),
            Path.of("/usr/lib/jvm/default-java/bin/java"), Path.of("/usr/local/bin/java"));

    /**
     * A versioned JDK path (/usr/lib/jvm/java-17-openjdk-amd64/bin/java) disappears with the next Java upgrade
     * and the nightly backup with it; a link that resolves to the same java today does not.
     */
    static Path stableJava(Path running, List<Path> links) {
        Path real;
        try {
            real = running.toRealPath();
        } catch (IOException e) {
            return running;
        }
        for (Path link : links) {
            try {
                if (Files.isExecutable(link) && link.toRealPath().equals(real)) {
                    return link;
                }
            } catch (IOException e) {
                // a dangling link is no candidate
            }
        }
        return running;
    }

    /** The running dbtool.jar; when running from classes (tests, IDE), the jar Maven builds next to them. */
    static Path jar() {
        Path location;
        try {
            location = Path.of(DbTool.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new DbToolException(ExitCode.RUNTIME, "cannot tell where dbtool.jar is; run schedule via 'java -jar"
                    + " /path/to/dbtool.jar' or scripts/dbtool");
        }
        location = location.toAbsolutePath().normalize();
        if (Files.isRegularFile(location) && selfContained(location)) {
            return location;
        }
        Path built = location.resolveSibling("dbtool.jar");
        if (Files.isRegularFile(built)) {
            return built;
        }
        throw DbToolException.usage("dbtool runs from " + location + ", not from a jar, and " + built
                + " does not exist; build it with 'mvn -B -DskipTests package' and run schedule again");
    }

    /** A jar with its dependencies inside (the shaded one); Maven's plain artifact next to it would not start. */
    private static boolean selfContained(Path jar) {
        try (java.util.jar.JarFile file = new java.util.jar.JarFile(jar.toFile())) {
            return file.getEntry("picocli/CommandLine.class") != null;
        } catch (IOException e) {
            return false;
        }
    }

    private Path defaultLog(List<ProjectConfig> projects) {
        Path common = null;
        for (ProjectConfig p : projects) {
            Path dir = logDirectory(p);
            common = common == null ? dir : commonParent(common, dir);
        }
        if (projects.size() > 1 && (common.getParent() == null)) {
            common = logDirectory(projects.get(0));
        }
        return common.resolve("dbtool-backup.log");
    }

    /** The backup directory; for backups into a bucket, ./backups holds only the log. */
    private static Path logDirectory(ProjectConfig p) {
        return (p.backup().inBucket() ? Path.of("backups") : p.backup().dir()).toAbsolutePath().normalize();
    }

    private static Path commonParent(Path a, Path b) {
        Path p = a;
        while (p != null && !b.startsWith(p)) {
            p = p.getParent();
        }
        return p == null ? a.getRoot() : p;
    }

    /** Single quotes for sh; '%' is special to cron (newline) and must be escaped even inside quotes. */
    static String quote(String word) {
        String q = word.matches("[A-Za-z0-9_./:=@+-]+") ? word : "'" + word.replace("'", "'\\''") + "'";
        return q.replace("%", "\\%");
    }

    /** Replaces our marker and the line after it, keeps everything else as it was. */
    static String updatedCrontab(String current, String marker, String line) {
        List<String> kept = new ArrayList<>();
        String[] lines = current.isEmpty() ? new String[0] : current.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].equals(marker)) {
                i++; // skip the managed line too
                continue;
            }
            kept.add(lines[i]);
        }
        while (!kept.isEmpty() && kept.get(kept.size() - 1).isEmpty()) {
            kept.remove(kept.size() - 1);
        }
        kept.add(marker);
        kept.add(line);
        return String.join("\n", kept) + "\n";
    }

    private static void install(String marker, String line) {
        Run list = crontab(List.of("crontab", "-l"), null);
        String current;
        if (list.status == 0) {
            current = list.output;
        } else if (list.output.toLowerCase().contains("no crontab")) {
            current = "";
        } else {
            throw new DbToolException(ExitCode.RUNTIME, "crontab -l failed: " + list.output.strip()
                    + "; add the printed line by hand with crontab -e");
        }
        Run write = crontab(List.of("crontab", "-"), updatedCrontab(current, marker, line));
        if (write.status != 0) {
            throw new DbToolException(ExitCode.RUNTIME, "crontab - failed: " + write.output.strip()
                    + "; add the printed line by hand with crontab -e");
        }
    }

    private record Run(int status, String output) {}

    private static Run crontab(List<String> command, String input) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            try (OutputStream in = p.getOutputStream()) {
                if (input != null) {
                    in.write(input.getBytes(StandardCharsets.UTF_8));
                }
            }
            String output;
            try (InputStream out = p.getInputStream()) {
                output = new String(out.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new DbToolException(ExitCode.RUNTIME, "crontab did not answer within 30 s; add the line by hand");
            }
            return new Run(p.exitValue(), output);
        } catch (IOException e) {
            throw new DbToolException(ExitCode.RUNTIME, "cannot run crontab (" + e.getMessage() + "); install cron"
                    + " (Debian: apt install cron) or add the printed line to your scheduler by hand");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DbToolException(ExitCode.RUNTIME, "interrupted while running crontab", e);
        }
    }
}
