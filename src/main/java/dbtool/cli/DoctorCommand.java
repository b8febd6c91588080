package dbtool.cli;

import dbtool.DbToolException;
import dbtool.archive.Igzip;
import dbtool.backup.BackupDirectory;
import dbtool.backup.BackupFile;
import dbtool.config.ConfigLoader;
import dbtool.config.ConnectionSettings;
import dbtool.config.ProjectConfig;
import dbtool.storage.S3Location;
import dbtool.pg.Catalog;
import dbtool.pg.Connections;
import dbtool.pg.PgTool;
import dbtool.pg.PgToolLocator;
import dbtool.pg.PgVersion;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "doctor", sortOptions = false, usageHelpAutoWidth = false,
        description = {"Check that dbtool can do its job here: one line per check, ok, warn or fail, with the fix.",
            "Checks Java, pg_dump and pg_restore for each project's server, the server, credentials, privileges to"
                + " dump every table, free disk space against the last archive, the backup directory, the config file's"
                + " permissions and the crontab entry. Exit 0 when nothing fails, 1 otherwise."})
final class DoctorCommand implements Callable<Integer> {

    /** A literal password in the file (not ${VAR}), as a key or as a URL parameter. */
    private static final Pattern PASSWORD_IN_FILE =
            Pattern.compile("(?m)^\\s*password\\s*:\\s*(?!\\$\\{)\\S|[?&]password=");

    @ParentCommand
    DbTool root;

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true)
    Which which;

    static final class Which {
        @Option(names = "--project", paramLabel = "NAME", description = "Check this project (default: every project).")
        String project;

        @Option(names = "--all", description = "Check every project of the config file (the default).")
        boolean all;
    }

    enum Status { ok, warn, fail }

    record Check(Status status, String project, String name, String message, String fix) {
        String line() {
            return String.format("%-4s  %-12s %s%s%s", status, name, project == null ? "" : project + ": ", message,
                    fix == null ? "" : "; fix: " + fix);
        }
    }

    private final List<Check> checks = new ArrayList<>();

    @Override
    public Integer call() {
        checkJava();
        checkIgzip();
        ConfigLoader loader = ConfigLoader.fromSystemEnvironment();
        Optional<Path> configFile = loader.locate(root.configFile);
        ConfigLoader.Config config = configFile.map(loader::load).orElseGet(ConfigLoader.Config::none);
        configFile.ifPresentOrElse(this::checkConfigFile, () -> add(Status.warn, null, "config",
                "no config file found", "write config/dbtool.yaml (see README) or give --config FILE"));
        List<ProjectConfig> projects = which != null && which.project != null ? List.of(config.project(which.project))
                : List.copyOf(config.projects().values());
        String crontab = configFile.isPresent() ? crontab() : null;
        for (ProjectConfig project : projects) {
            checkProject(project);
            checkBackupDirectory(project);
            checkSchedule(project, crontab);
        }
        boolean ok = checks.stream().noneMatch(c -> c.status() == Status.fail);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("ok", ok);
        json.put("checks", checks.stream().map(c -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("status", c.status().name());
            m.put("check", c.name());
            m.put("project", c.project() == null ? "" : c.project());
            m.put("message", c.message());
            m.put("fix", c.fix() == null ? "" : c.fix());
            return m;
        }).toList());
        root.print(spec, json, String.join(System.lineSeparator(), checks.stream().map(Check::line).toList()));
        return ok ? 0 : 1;
    }

    private void add(Status status, String project, String name, String message, String fix) {
        checks.add(new Check(status, project, name, message, fix));
    }

    private void checkJava() {
        Runtime.Version version = Runtime.version();
        String where = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        if (version.feature() >= 17) {
            add(Status.ok, null, "java", "Java " + version + " (" + where + ")", null);
        } else {
            add(Status.fail, null, "java", "Java " + version + " (" + where + ") is older than 17",
                    "install Java 17 or newer (Debian: apt install openjdk-17-jre-headless)");
        }
    }

    /** Not a failure: without igzip the JVM's zlib makes and reads the same kind of archive, only larger and slower. */
    private void checkIgzip() {
        Optional<Path> igzip = Igzip.find();
        if (igzip.isPresent()) {
            add(Status.ok, null, "igzip", "gzip archives are made and read by ISA-L's igzip (" + igzip.get() + ")", null);
        } else {
            add(Status.warn, null, "igzip", "igzip not on PATH: gzip archives are made by zlib in the JVM, ~7% larger"
                    + " for ~4x the CPU, and read by it more slowly", "install ISA-L's igzip (Debian: apt install isal)");
        }
    }

    private void checkConfigFile(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            add(Status.fail, null, "config", "cannot read " + file + " (" + e.getMessage() + ")", "check its permissions");
            return;
        }
        if (!PASSWORD_IN_FILE.matcher(text).find()) {
            add(Status.ok, null, "config", file.toAbsolutePath() + " holds no password", null);
            return;
        }
        Set<PosixFilePermission> permissions;
        try {
            permissions = Files.getPosixFilePermissions(file);
        } catch (IOException | UnsupportedOperationException e) {
            add(Status.warn, null, "config", "cannot tell who may read " + file + ", which holds a password", null);
            return;
        }
        if (permissions.contains(PosixFilePermission.OTHERS_READ) || permissions.contains(PosixFilePermission.GROUP_READ)) {
            add(Status.fail, null, "config", file.toAbsolutePath() + " holds a password and others may read it",
                    "chmod 600 " + file.toAbsolutePath());
        } else {
            add(Status.ok, null, "config", file.toAbsolutePath() + " holds a password and only its owner may read it", null);
        }
    }

    private void checkProject(ProjectConfig project) {
        String name = project.name();
        ConnectionSettings settings = project.connection();
        PgToolLocator locator = PgToolLocator.fromSystemEnvironment();
        try (Connection connection = Connections.open(settings)) {
            add(Status.ok, name, "server", "reachable at " + settings.host() + ":" + settings.port(), null);
            add(Status.ok, name, "credentials", "logged in as " + settings.effectiveUser() + " to " + settings.database(), null);
            PgVersion server = Catalog.serverVersion(connection);
            for (String tool : List.of("pg_dump", "pg_restore")) {
                try {
                    PgTool found = locator.forServer(tool, server);
                    add(Status.ok, name, tool, found.version() + " at " + found.executable() + " (server " + server + ")", null);
                } catch (DbToolException e) {
                    add(Status.fail, name, tool, e.getMessage(), null);
                }
            }
            checkPrivileges(name, connection);
            checkDisk(project, connection);
        } catch (DbToolException e) {
            boolean answered = e.exitCode() == dbtool.ExitCode.USAGE;
            add(answered ? Status.ok : Status.fail, name, "server", answered ? "answers at " + settings.host() + ":"
                    + settings.port() : e.getMessage(), null);
            if (answered) {
                add(Status.fail, name, e.getMessage().contains("does not exist") ? "database" : "credentials",
                        e.getMessage(), null);
            }
            for (String tool : List.of("pg_dump", "pg_restore")) {
                List<PgTool> all = locator.findAll(tool);
                if (all.isEmpty()) {
                    add(Status.fail, name, tool, "not found on PATH, $DBTOOL_PG_BIN or /usr/lib/postgresql/*/bin",
                            "install the PostgreSQL client tools (Debian: apt install postgresql-client)");
                } else {
                    add(Status.warn, name, tool, "found " + all.get(0).version() + " at " + all.get(0).executable()
                            + "; cannot tell whether it is new enough without the server", null);
                }
            }
        } catch (SQLException e) {
            add(Status.fail, name, "server", Connections.explain(settings, e).getMessage(), null);
        }
    }

    private void checkPrivileges(String name, Connection connection) throws SQLException {
        List<String> denied = new ArrayList<>();
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("""
                     select format('%I.%I', n.nspname, c.relname)
                     from pg_class c join pg_namespace n on n.oid = c.relnamespace
                     where c.relkind in ('r', 'p', 'm', 'S')
                       and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'
                       and not has_table_privilege(c.oid, 'SELECT')
                     order by 1""")) {
            while (rs.next()) {
                denied.add(rs.getString(1));
            }
        }
        if (denied.isEmpty()) {
            add(Status.ok, name, "privileges", "may read every table, view and sequence", null);
        } else {
            add(Status.fail, name, "privileges", "may not read " + denied.size() + " relation(s): "
                    + String.join(", ", denied.stream().limit(5).toList()) + (denied.size() > 5 ? ", ..." : ""),
                    "GRANT SELECT on them (PostgreSQL 14+: GRANT pg_read_all_data TO the user) or use their owner");
        }
    }

    /**
     * The last archive is the best guess of the next one; without one, the database's size on disk. Checked where
     * archives are written on local disk: the export output and the backup directory (each may be another disk).
     */
    private void checkDisk(ProjectConfig project, Connection connection) throws SQLException {
        Set<Path> dirs = new LinkedHashSet<>();
        for (String location : new String[] {project.output(), project.backup().location()}) {
            if (location == null || S3Location.isS3(location)) {
                continue; // a bucket has no free space to check
            }
            Path existing = Path.of(location).toAbsolutePath().normalize();
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            if (existing != null) {
                dirs.add(existing);
            }
        }
        if (dirs.isEmpty()) {
            return;
        }
        Optional<BackupFile> last = lastArchive(project);
        long need;
        String basis;
        if (last.isPresent()) {
            need = last.get().sizeBytes();
            basis = "the last archive " + last.get().fileName() + " is " + Sizes.human(need);
        } else {
            try (Statement st = connection.createStatement();
                 ResultSet rs = st.executeQuery("select pg_database_size(current_database())")) {
                rs.next();
                need = rs.getLong(1);
            }
            basis = "no archive yet; the database is " + Sizes.human(need) + " on the server";
        }
        for (Path existing : dirs) {
            checkFreeSpace(project, existing, need, basis);
        }
    }

    private void checkFreeSpace(ProjectConfig project, Path existing, long need, String basis) {
        long free;
        try {
            free = Files.getFileStore(existing).getUsableSpace();
        } catch (IOException e) {
            add(Status.warn, project.name(), "disk", "cannot tell the free space of " + existing + " (" + e.getMessage() + ")", null);
            return;
        }
        String message = Sizes.human(free) + " free in " + existing + "; " + basis;
        if (free < need) {
            add(Status.fail, project.name(), "disk", message, "free space there or point backup.dir/output elsewhere");
        } else if (free < 2 * need) {
            add(Status.warn, project.name(), "disk", message + " (room for one more, not two)", "free space there");
        } else {
            add(Status.ok, project.name(), "disk", message, null);
        }
    }

    private static Optional<BackupFile> lastArchive(ProjectConfig project) {
        List<BackupFile> all = new ArrayList<>();
        for (String location : new String[] {project.backup().location(), project.output()}) {
            Path dir = location == null || S3Location.isS3(location) ? null : Path.of(location);
            if (dir != null && Files.isDirectory(dir)) {
                try {
                    all.addAll(new BackupDirectory(dir.toAbsolutePath().normalize(), project.name()).archives());
                } catch (RuntimeException e) {
                    // an unreadable directory is reported by the directory check
                }
            }
        }
        return all.stream().max(Comparator.comparing(BackupFile::createdAt));
    }

    private void checkBackupDirectory(ProjectConfig project) {
        if (project.backup().inBucket()) {
            add(Status.ok, project.name(), "backup dir", project.backup().location() + " is a bucket (checked when a"
                    + " backup opens it)", null);
            return;
        }
        Path dir = project.backup().dir().toAbsolutePath().normalize();
        if (Files.isDirectory(dir)) {
            if (Files.isWritable(dir)) {
                add(Status.ok, project.name(), "backup dir", dir + " is writable", null);
            } else {
                add(Status.fail, project.name(), "backup dir", dir + " is not writable for this user",
                        "fix its permissions or set backup.dir in the config");
            }
            return;
        }
        Path parent = dir.getParent();
        while (parent != null && !Files.exists(parent)) {
            parent = parent.getParent();
        }
        if (parent != null && Files.isDirectory(parent) && Files.isWritable(parent)) {
            add(Status.ok, project.name(), "backup dir", dir + " does not exist yet; the first backup creates it", null);
        } else {
            add(Status.fail, project.name(), "backup dir", dir + " cannot be created (" + parent + " is not writable)",
                    "create it for this user or set backup.dir in the config");
        }
    }

    /** Scheduled = the crontab has dbtool's line for this project or for --all; its java and jar must still exist. */
    private void checkSchedule(ProjectConfig project, String crontab) {
        if (crontab == null) {
            add(Status.warn, project.name(), "schedule", "cannot read the crontab (crontab -l failed or cron is not"
                    + " installed)", "install cron, then dbtool schedule --project " + project.name() + " --install");
            return;
        }
        String line = scheduledLine(crontab, project.name());
        if (line == null) {
            add(Status.warn, project.name(), "schedule", "no nightly backup in the crontab",
                    "dbtool schedule --project " + project.name() + " --install (or --all)");
            return;
        }
        for (String word : line.split("\\s+")) {
            if ((word.endsWith("/java") || word.endsWith(".jar")) && word.startsWith("/") && !Files.exists(Path.of(word))) {
                add(Status.fail, project.name(), "schedule", "the crontab line names " + word + ", which no longer exists",
                        "dbtool schedule --project " + project.name() + " --install again");
                return;
            }
        }
        add(Status.ok, project.name(), "schedule", "in the crontab: " + line.substring(0, line.indexOf(" * * * ") + 6).strip(), null);
    }

    static String scheduledLine(String crontab, String project) {
        String[] lines = crontab.split("\n");
        for (int i = 0; i + 1 < lines.length; i++) {
            String marker = lines[i].strip();
            if (marker.equals(ScheduleCommand.MARKER + project) || marker.equals(ScheduleCommand.MARKER + "--all")) {
                return lines[i + 1];
            }
        }
        return null;
    }

    private static String crontab() {
        try {
            Process p = new ProcessBuilder("crontab", "-l").redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            if (p.exitValue() == 0) {
                return out;
            }
            return out.toLowerCase().contains("no crontab") ? "" : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
