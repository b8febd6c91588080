package dbtool.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dbtool.DbToolException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads {@code dbtool.yaml}. Every key is checked against the known ones: a typo such as
 * {@code kep_last} must fail loudly, not silently disable retention.
 */
public final class ConfigLoader {

    private static final Set<String> ROOT_KEYS = Set.of("defaults", "projects");
    private static final Set<String> PROJECT_KEYS =
            Set.of("url", "user", "password", "output", "backup", "notify", "migrations", "migrate", "drift",
                    "encryption", "storage");
    private static final Set<String> STORAGE_KEYS = Set.of("endpoint", "region", "path_style");
    private static final Set<String> BACKUP_KEYS = Set.of(
            "dir", "keep_last", "keep_daily", "keep_weekly", "keep_monthly", "verify", "verify_url", "metrics_file",
            "pushgateway");
    private static final Set<String> NOTIFY_KEYS = Set.of("on_failure", "on_success", "on_warning");
    private static final Set<String> DRIFT_KEYS = Set.of("max_drop", "min_rows");
    private static final Pattern PERCENT = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*%?");
    private static final Set<String> HOOK_KEYS = Set.of("command", "url", "timeout");
    private static final Set<String> ENCRYPTION_KEYS = Set.of("recipients", "recipients_file", "identity_file");
    private static final Set<String> MIGRATE_KEYS =
            Set.of("lock_timeout", "statement_timeout", "lock_retries", "interim_period");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");
    /** Project names become archive file names: nothing that needs quoting or could climb directories. */
    private static final String PROJECT_NAME = "[A-Za-z0-9][A-Za-z0-9._-]*";
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)?");

    private final Function<String, String> environment;

    public ConfigLoader(Function<String, String> environment) {
        this.environment = environment;
    }

    public static ConfigLoader fromSystemEnvironment() {
        return new ConfigLoader(System::getenv);
    }

    /**
     * Finds the config: the explicit file, then $DBTOOL_CONFIG, then ./config/dbtool.yaml, then
     * ~/.config/dbtool/dbtool.yaml. Empty when none exists and none was asked for.
     */
    public Optional<Path> locate(Path explicit) {
        if (explicit != null) {
            if (!Files.isRegularFile(explicit)) {
                throw DbToolException.usage("config file " + explicit + " does not exist; check --config");
            }
            return Optional.of(explicit);
        }
        String fromEnv = environment.apply("DBTOOL_CONFIG");
        if (fromEnv != null && !fromEnv.isBlank()) {
            Path path = Path.of(fromEnv);
            if (!Files.isRegularFile(path)) {
                throw DbToolException.usage("config file " + path + " (from $DBTOOL_CONFIG) does not exist");
            }
            return Optional.of(path);
        }
        Path local = Path.of("config", "dbtool.yaml");
        if (Files.isRegularFile(local)) {
            return Optional.of(local);
        }
        String home = environment.apply("HOME");
        if (home != null && !home.isBlank()) {
            Path user = Path.of(home, ".config", "dbtool", "dbtool.yaml");
            if (Files.isRegularFile(user)) {
                return Optional.of(user);
            }
        }
        return Optional.empty();
    }

    public Config load(Path file) {
        JsonNode root;
        try {
            root = YAMLMapper.builder().enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build().readTree(Files.newBufferedReader(file));
        } catch (JacksonException e) {
            throw DbToolException.usage(file + ": invalid YAML" + yamlProblem(e));
        } catch (IOException e) {
            throw DbToolException.usage("cannot read config file " + file + ": " + e.getMessage());
        }
        return parse(file.toString(), file.toAbsolutePath().normalize().getParent(), root);
    }

    /**
     * Where and what, on one line. SnakeYAML's full message spans several lines and quotes the offending
     * line of the file, which may be the one holding a password: only its position and problem are shown.
     */
    private static String yamlProblem(JacksonException e) {
        if (e.getCause() instanceof MarkedYAMLException yaml && yaml.getProblemMark() != null) {
            return " at line " + (yaml.getProblemMark().getLine() + 1) + ", column "
                    + (yaml.getProblemMark().getColumn() + 1) + ": "
                    + (yaml.getContext() == null ? "" : yaml.getContext() + ", ") + yaml.getProblem();
        }
        String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr();
        String message = String.valueOf(e.getOriginalMessage());
        int nl = message.indexOf('\n');
        return where + ": " + (nl < 0 ? message : message.substring(0, nl));
    }

    /**
     * {@code base} is the config file's directory: relative paths in it (and the defaults) resolve against it,
     * so a config means the same from cron, from / or from the repository.
     */
    Config parse(String source, Path base, JsonNode root) {
        if (root == null || root.isMissingNode() || root.isNull()) {
            return new Config(source, Map.of(), EncryptionSettings.NONE, StorageSettings.DEFAULT);
        }
        requireObject(source, "", root);
        checkKeys(source, "", root, ROOT_KEYS);
        JsonNode defaults = root.path("defaults");
        EncryptionSettings defaultEncryption = EncryptionSettings.NONE;
        if (!defaults.isMissingNode()) {
            requireObject(source, "defaults", defaults);
            checkProjectKeys(source, "defaults", defaults);
            defaultEncryption = encryption(source, base, "defaults.encryption", defaults.path("encryption"));
        }
        Map<String, ProjectConfig> projects = new LinkedHashMap<>();
        JsonNode projectsNode = root.path("projects");
        if (!projectsNode.isMissingNode() && !projectsNode.isNull()) {
            requireObject(source, "projects", projectsNode);
            for (Iterator<Map.Entry<String, JsonNode>> it = projectsNode.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                String path = "projects." + entry.getKey();
                if (!entry.getKey().matches(PROJECT_NAME)) {
                    throw DbToolException.usage(source + ": project name '" + entry.getKey() + "' must use only ASCII"
                            + " letters, digits, '.', '_' or '-' and start with a letter or digit (it names archive files)");
                }
                JsonNode node = entry.getValue() == null || entry.getValue().isNull()
                        ? JsonNodeFactory.instance.objectNode() : entry.getValue();
                requireObject(source, path, node);
                checkProjectKeys(source, path, node);
                JsonNode merged = defaults.isMissingNode() ? node : merge((ObjectNode) defaults.deepCopy(), node);
                projects.put(entry.getKey(), project(source, base, path, entry.getKey(), merged));
            }
        }
        return new Config(source, projects, defaultEncryption,
                storage(source, "defaults.storage", defaults.path("storage")));
    }

    private void checkProjectKeys(String source, String path, JsonNode node) {
        checkKeys(source, path, node, PROJECT_KEYS);
        checkBlock(source, path + ".backup", node.path("backup"), BACKUP_KEYS);
        checkBlock(source, path + ".migrate", node.path("migrate"), MIGRATE_KEYS);
        checkBlock(source, path + ".encryption", node.path("encryption"), ENCRYPTION_KEYS);
        checkBlock(source, path + ".storage", node.path("storage"), STORAGE_KEYS);
        JsonNode notify = node.path("notify");
        checkBlock(source, path + ".notify", notify, NOTIFY_KEYS);
        checkBlock(source, path + ".notify.on_failure", notify.path("on_failure"), HOOK_KEYS);
        checkBlock(source, path + ".notify.on_success", notify.path("on_success"), HOOK_KEYS);
        checkBlock(source, path + ".notify.on_warning", notify.path("on_warning"), HOOK_KEYS);
        JsonNode drift = node.path("drift");
        if (drift.isObject()) {
            checkKeys(source, path + ".drift", drift, DRIFT_KEYS);
        }
    }

    private static void checkBlock(String source, String path, JsonNode node, Set<String> keys) {
        if (node.isMissingNode() || node.isNull()) {
            return;
        }
        requireObject(source, path, node);
        checkKeys(source, path, node, keys);
    }

    private static void checkKeys(String source, String path, JsonNode node, Set<String> known) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!known.contains(key)) {
                String where = path.isEmpty() ? "at the top level" : "in " + path;
                throw DbToolException.usage(source + ": unknown key '" + key + "' " + where
                        + "; known keys: " + String.join(", ", known.stream().sorted().toList()));
            }
        }
    }

    private static void requireObject(String source, String path, JsonNode node) {
        if (!node.isObject()) {
            throw DbToolException.usage(source + ": '" + (path.isEmpty() ? "the document" : path)
                    + "' must be a mapping of keys to values");
        }
    }

    /** Project values win; nested blocks (backup, notify, ...) are merged key by key. */
    private static JsonNode merge(ObjectNode base, JsonNode override) {
        for (Iterator<Map.Entry<String, JsonNode>> it = override.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            JsonNode existing = base.get(entry.getKey());
            if (existing instanceof ObjectNode existingObject && entry.getValue().isObject()) {
                merge(existingObject, entry.getValue());
            } else {
                base.set(entry.getKey(), entry.getValue());
            }
        }
        return base;
    }

    private ProjectConfig project(String source, Path base, String path, String name, JsonNode node) {
        String url = text(source, path + ".url", node.path("url"));
        if (url == null) {
            throw DbToolException.usage(source + ": project '" + name
                    + "' has no url; add e.g. url: postgresql://localhost:5432/" + name);
        }
        ConnectionSettings.parse(url); // fail at load time, naming the project, not at first use
        String output = text(source, path + ".output", node.path("output"));
        JsonNode backup = node.path("backup");
        String backupDir = text(source, path + ".backup.dir", backup.path("dir"));
        String metricsFile = text(source, path + ".backup.metrics_file", backup.path("metrics_file"));
        BackupSettings backupSettings = new BackupSettings(
                resolveLocal(base, (backupDir == null ? "./backups/{project}" : backupDir).replace("{project}", name)),
                integer(source, path + ".backup.keep_last", backup.path("keep_last")),
                integer(source, path + ".backup.keep_daily", backup.path("keep_daily")),
                integer(source, path + ".backup.keep_weekly", backup.path("keep_weekly")),
                integer(source, path + ".backup.keep_monthly", backup.path("keep_monthly")),
                bool(source, path + ".backup.verify", backup.path("verify")),
                text(source, path + ".backup.verify_url", backup.path("verify_url")),
                metricsFile == null ? null : base.resolve(metricsFile.replace("{project}", name)).normalize(),
                httpUrl(source, path + ".backup.pushgateway", text(source, path + ".backup.pushgateway",
                        backup.path("pushgateway"))));
        JsonNode notify = node.path("notify");
        NotifySettings notifySettings = new NotifySettings(
                hook(source, path + ".notify.on_failure", notify.path("on_failure")),
                hook(source, path + ".notify.on_success", notify.path("on_success")),
                hook(source, path + ".notify.on_warning", notify.path("on_warning")));
        JsonNode migrate = node.path("migrate");
        String migrations = text(source, path + ".migrations", node.path("migrations"));
        MigrateSettings migrateSettings = new MigrateSettings(
                base.resolve(migrations == null ? "migrations/" + name : migrations).normalize(),
                duration(source, path + ".migrate.lock_timeout", migrate.path("lock_timeout"), Duration.ofSeconds(2)),
                duration(source, path + ".migrate.statement_timeout", migrate.path("statement_timeout"),
                        Duration.ofMinutes(10)),
                migrate.path("lock_retries").isMissingNode() ? 10
                        : integer(source, path + ".migrate.lock_retries", migrate.path("lock_retries")),
                duration(source, path + ".migrate.interim_period", migrate.path("interim_period"), Duration.ofDays(7)));
        return new ProjectConfig(name, url,
                text(source, path + ".user", node.path("user")),
                text(source, path + ".password", node.path("password")),
                output == null ? null : resolveLocal(base, output),
                backupSettings, notifySettings, migrateSettings, drift(source, path + ".drift", node.path("drift")),
                encryption(source, base, path + ".encryption", node.path("encryption")),
                storage(source, path + ".storage", node.path("storage")));
    }

    /** A directory relative to the config file's; an s3:// location stays as it is. */
    private static String resolveLocal(Path base, String location) {
        return location.startsWith("s3://") ? location : base.resolve(location).normalize().toString();
    }

    /** Where buckets are; credentials never come from here, only from the AWS environment. */
    private StorageSettings storage(String source, String path, JsonNode node) {
        if (node.isMissingNode() || node.isNull()) {
            return StorageSettings.DEFAULT;
        }
        return new StorageSettings(text(source, path + ".endpoint", node.path("endpoint")),
                text(source, path + ".region", node.path("region")),
                bool(source, path + ".path_style", node.path("path_style")));
    }

    /** {@code drift: off} (or false) disables; a block sets max_drop (percent, "20%" or 20) and min_rows. */
    private DriftSettings drift(String source, String path, JsonNode node) {
        if (node.isMissingNode() || node.isNull()) {
            return DriftSettings.DEFAULT;
        }
        if (!node.isObject()) {
            if (!bool(source, path, node)) {
                return DriftSettings.OFF;
            }
            return DriftSettings.DEFAULT;
        }
        double maxDrop = DriftSettings.DEFAULT.maxDropPercent();
        String drop = text(source, path + ".max_drop", node.path("max_drop"));
        if (drop != null) {
            Matcher m = PERCENT.matcher(drop.strip());
            double value = m.matches() ? Double.parseDouble(m.group(1)) : -1;
            if (value <= 0 || value >= 100) {
                throw DbToolException.usage(source + ": " + path + ".max_drop must be a percentage between 0 and 100"
                        + " such as 20%, got '" + drop + "'");
            }
            maxDrop = value;
        }
        long minRows = node.path("min_rows").isMissingNode() ? DriftSettings.DEFAULT.minRows()
                : integer(source, path + ".min_rows", node.path("min_rows"));
        return new DriftSettings(true, maxDrop, minRows);
    }

    /** Recipients are public keys: checked here, so a typo names the config file before any export starts. */
    private EncryptionSettings encryption(String source, Path base, String path, JsonNode node) {
        if (node.isMissingNode() || node.isNull()) {
            return EncryptionSettings.NONE;
        }
        List<String> recipients = new java.util.ArrayList<>();
        JsonNode list = node.path("recipients");
        if (list.isArray()) {
            for (int i = 0; i < list.size(); i++) {
                String key = text(source, path + ".recipients[" + i + "]", list.get(i));
                if (key != null && !key.isBlank()) {
                    recipients.add(key.strip());
                }
            }
        } else {
            String key = text(source, path + ".recipients", list);
            if (key != null && !key.isBlank()) {
                recipients.add(key.strip());
            }
        }
        String recipientsFile = text(source, path + ".recipients_file", node.path("recipients_file"));
        String identityFile = text(source, path + ".identity_file", node.path("identity_file"));
        try {
            if (!recipients.isEmpty()) {
                dbtool.crypto.AgeEncryption.toRecipients(recipients);
            }
        } catch (IllegalArgumentException e) {
            throw DbToolException.usage(source + ": " + path + ": " + e.getMessage()
                    + "; `dbtool keygen FILE` or `age-keygen` prints a valid one");
        }
        return new EncryptionSettings(recipients,
                recipientsFile == null || recipientsFile.isBlank() ? null : base.resolve(recipientsFile).normalize(),
                identityFile == null || identityFile.isBlank() ? null : base.resolve(identityFile).normalize(), source);
    }

    private NotifySettings.Hook hook(String source, String path, JsonNode node) {
        if (node.isMissingNode() || node.isNull()) {
            return null;
        }
        String command = text(source, path + ".command", node.path("command"));
        String url = text(source, path + ".url", node.path("url"));
        if (command == null && url == null) {
            return null;
        }
        URI uri = httpUrl(source, path + ".url", url);
        return new NotifySettings.Hook(command, uri,
                duration(source, path + ".timeout", node.path("timeout"), Duration.ofSeconds(10)));
    }

    private static URI httpUrl(String source, String path, String url) {
        if (url == null) {
            return null;
        }
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            uri = null;
        }
        if (uri == null || uri.getScheme() == null || !uri.getScheme().startsWith("http")) {
            throw DbToolException.usage(source + ": " + path + " must be an http(s) URL, got '" + url + "'");
        }
        return uri;
    }

    /**
     * A string value with ${VAR} and ${VAR:-default} expanded. A value that is only an unset ${VAR}
     * leaves the key unset (an optional password); an unset variable inside a longer value is an
     * error, since "postgresql://${DB_HOST}/x" must not quietly become localhost.
     */
    private String text(String source, String path, JsonNode node) {
        if (node.isMissingNode() || node.isNull()) {
            return null;
        }
        if (!node.isValueNode()) {
            throw DbToolException.usage(source + ": " + path + " must be a single value");
        }
        String raw = node.asText();
        Matcher m = VARIABLE.matcher(raw);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = environment.apply(m.group(1));
            if (value == null || value.isEmpty()) {
                value = m.group(2);
            }
            if (value == null) {
                if (m.group().equals(raw)) {
                    return null;
                }
                throw DbToolException.usage(source + ": " + path + " uses ${" + m.group(1)
                        + "}, which is not set; export it or write ${" + m.group(1) + ":-default}");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    private int integer(String source, String path, JsonNode node) {
        String value = text(source, path, node);
        if (value == null) {
            return 0;
        }
        try {
            int n = Integer.parseInt(value.strip());
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw DbToolException.usage(source + ": " + path + " must be a whole number >= 0, got '" + value + "'");
        }
    }

    private boolean bool(String source, String path, JsonNode node) {
        String value = text(source, path, node);
        if (value == null) {
            return false;
        }
        return switch (value.strip().toLowerCase()) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw DbToolException.usage(source + ": " + path + " must be true or false, got '" + value + "'");
        };
    }

    private Duration duration(String source, String path, JsonNode node, Duration fallback) {
        String value = text(source, path, node);
        if (value == null) {
            return fallback;
        }
        return parseDuration(value).orElseThrow(() -> DbToolException.usage(source + ": " + path
                + " must be a duration such as 500ms, 2s, 5m, 1h or 7d, got '" + value + "'"));
    }

    public static Optional<Duration> parseDuration(String value) {
        Matcher m = DURATION.matcher(value.strip());
        if (!m.matches()) {
            return Optional.empty();
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return Optional.of(switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofSeconds(n);
        });
    }

    /**
     * All projects of one file.
     *
     * @param defaultEncryption {@code defaults.encryption}, for archives read or written without a project
     * @param storage {@code defaults.storage}: how to reach buckets named outside any project (inspect s3://...)
     */
    public record Config(String source, Map<String, ProjectConfig> projects, EncryptionSettings defaultEncryption,
            StorageSettings storage) {

        public Config(String source, Map<String, ProjectConfig> projects, EncryptionSettings defaultEncryption) {
            this(source, projects, defaultEncryption, StorageSettings.DEFAULT);
        }

        public static final String NO_FILE = "(no config file)";

        public Config(String source, Map<String, ProjectConfig> projects) {
            this(source, projects, EncryptionSettings.NONE, StorageSettings.DEFAULT);
        }

        public static Config none() {
            return new Config(NO_FILE, Map.of());
        }

        public ProjectConfig project(String name) {
            ProjectConfig project = projects.get(name);
            if (project == null && source.equals(NO_FILE)) {
                throw DbToolException.usage("unknown project '" + name + "': no config file found (tried $DBTOOL_CONFIG,"
                        + " ./config/dbtool.yaml, ~/.config/dbtool/dbtool.yaml); pass --config FILE or use --url");
            }
            if (project == null) {
                String known = projects.isEmpty() ? "it defines no projects" : "known projects: "
                        + String.join(", ", projects.keySet());
                throw DbToolException.usage("unknown project '" + name + "' in " + source + "; " + known);
            }
            return project;
        }

        public List<String> names() {
            return List.copyOf(projects.keySet());
        }
    }
}
