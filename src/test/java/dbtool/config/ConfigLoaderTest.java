package dbtool.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dbtool.DbToolException;
import dbtool.ExitCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    private Path write(String yaml) throws IOException {
        return Files.writeString(dir.resolve("dbtool.yaml"), yaml);
    }

    private static ConfigLoader loader(Map<String, String> env) {
        return new ConfigLoader(env::get);
    }

    private static void assertUsage(Throwable t, String... fragments) {
        assertThat(t).isInstanceOf(DbToolException.class);
        DbToolException e = (DbToolException) t;
        assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
        assertThat(e.getMessage()).as("one line").doesNotContain("\n");
        for (String fragment : fragments) {
            assertThat(e.getMessage()).contains(fragment);
        }
    }

    @Test
    void variablesAreExpandedWithDefaults() throws IOException {
        Path file = write("""
                projects:
                  app:
                    url: postgresql://${DB_HOST}:${DB_PORT:-6543}/app
                    user: ${DB_USER:-fallback}
                    password: ${DB_PASSWORD}
                    output: ${DUMPS:-./dumps}
                """);
        ProjectConfig p = loader(Map.of("DB_HOST", "db.example.com", "DB_PASSWORD", "pw-from-env"))
                .load(file).project("app");
        assertThat(p.connection().host()).isEqualTo("db.example.com");
        assertThat(p.connection().port()).isEqualTo(6543);
        assertThat(p.user()).isEqualTo("fallback");
        assertThat(p.password()).isEqualTo("pw-from-env");
        assertThat(p.output()).isEqualTo(file.toAbsolutePath().getParent().resolve("dumps").toString());
    }

    /** From cron, from / or from the repository: the same config means the same directories. */
    @Test
    void relativePathsAreRelativeToTheConfigFilesDirectory() throws IOException {
        Path file = write("""
                projects:
                  app:
                    url: postgresql://localhost/app
                    output: ../dumps
                    backup: { dir: "./backups/{project}" }
                  other:
                    url: postgresql://localhost/other
                    migrations: /srv/migrations/other
                """);
        Path dir = file.toAbsolutePath().getParent();
        ConfigLoader.Config config = loader(Map.of()).load(file);
        assertThat(config.project("app").output()).isEqualTo(dir.getParent().resolve("dumps").toString());
        assertThat(config.project("app").backup().dir()).isEqualTo(dir.resolve("backups/app"));
        assertThat(config.project("app").migrate().dir()).as("the default too").isEqualTo(dir.resolve("migrations/app"));
        assertThat(config.project("other").backup().dir()).isEqualTo(dir.resolve("backups/other"));
        assertThat(config.project("other").migrate().dir()).isEqualTo(Path.of("/srv/migrations/other"));
    }

    @Test
    void setVariableWinsOverDefault() throws IOException {
        Path file = write("""
                projects:
                  app:
                    url: postgresql://localhost/app
                    user: ${DB_USER:-fallback}
                """);
        assertThat(loader(Map.of("DB_USER", "real")).load(file).project("app").user()).isEqualTo("real");
    }

    /** An optional password: unset means "use PGPASSWORD or ~/.pgpass", not an empty password. */
    @Test
    void unsetVariableLeavesTheKeyUnset() throws IOException {
        Path file = write("""
                projects:
                  app:
                    url: postgresql://localhost/app
                    password: ${NOT_SET_ANYWHERE}
                """);
        assertThat(loader(Map.of()).load(file).project("app").password()).isNull();
    }

    /** Inside a longer value an unset variable would silently change it (a URL to localhost): refuse. */
    @Test
    void unsetVariableInsideAValueIsAnErrorNamingIt() throws IOException {
        Path file = write("""
                projects:
                  app:
                    url: postgresql://${DB_HOST}:5432/app
                """);
        Throwable t = catchIt(() -> loader(Map.of()).load(file));
        assertUsage(t, "${DB_HOST}", "projects.app.url", file.toString());
    }

    @Test
    void projectToStringNeverShowsThePassword() throws IOException {
        Path file = write("""
                projects:
                  app:
                    url: postgresql://u:urlsecret@localhost/app
                    password: configsecret
                """);
        String text = loader(Map.of()).load(file).project("app").toString();
        assertThat(text).doesNotContain("urlsecret").doesNotContain("configsecret").contains("app");
    }

    @Test
    void unknownKeyUnderBackupNamesKeyAndFile() throws IOException {
        Path file = write("""
                projects:
                  app:
                    url: postgresql://localhost/app
                    backup:
                      kep_last: 7
                """);
        Throwable t = catchIt(() -> loader(Map.of()).load(file));
        assertUsage(t, "kep_last", file.toString(), "keep_last");
    }

    @Test
    void storageSettingsComeFromDefaultsAndProjects() throws IOException {
        Path file = write("""
                defaults:
                  storage:
                    endpoint: http://127.0.0.1:9000
                    region: eu-central-1
                    path_style: true
                  backup:
                    dir: s3://backups/nightly/{project}
                projects:
                  app:
                    url: postgresql://localhost/app
                    output: s3://exports/app
                  other:
                    url: postgresql://localhost/other
                    storage: { region: us-west-2 }
                """);
        ConfigLoader.Config config = loader(Map.of()).load(file);
        assertThat(config.storage()).isEqualTo(new StorageSettings("http://127.0.0.1:9000", "eu-central-1", true));
        ProjectConfig app = config.project("app");
        assertThat(app.storage()).isEqualTo(config.storage());
        assertThat(app.output()).isEqualTo("s3://exports/app");
        assertThat(app.backup().location()).isEqualTo("s3://backups/nightly/app");
        assertThat(app.backup().inBucket()).isTrue();
        assertThat(config.project("other").storage()).isEqualTo(
                new StorageSettings("http://127.0.0.1:9000", "us-west-2", true));
    }

    @Test
    void credentialsInTheStorageBlockAreRefused() throws IOException {
        Path file = write("""
                defaults:
                  storage:
                    access_key_id: AKIA123
                projects: {}
                """);
        assertUsage(catchIt(() -> loader(Map.of()).load(file)), "access_key_id", "endpoint, path_style, region");
    }

    @Test
    void unknownTopLevelKey() throws IOException {
        Path file = write("project:\n  app:\n    url: postgresql://localhost/app\n");
        assertUsage(catchIt(() -> loader(Map.of()).load(file)), "'project'", file.toString());
    }

    @Test
    void badYamlNamesFileAndLine() throws IOException {
        Path file = write("""
                projects:
                  app:
                    url: postgresql://localhost/app
                    output: [unclosed
                """);
        Throwable t = catchIt(() -> loader(Map.of()).load(file));
        assertUsage(t, file.toString(), "line ");
    }

    /** YAML errors quote the offending line; that line may be the password's. */
    @Test
    void badYamlOnThePasswordLineDoesNotEchoThePassword() throws IOException {
        Path file = write("""
                projects:
                  app:
                    url: postgresql://localhost/app
                    password: Sup3rSecret: "x
                """);
        Throwable t = catchIt(() -> loader(Map.of()).load(file));
        assertUsage(t, file.toString(), "line 4");
        assertThat(t.getMessage()).doesNotContain("Sup3rSecret");
    }

    @Test
    void unknownProjectNamesTheKnownOnes() throws IOException {
        Path file = write("""
                projects:
                  old:
                    url: postgresql://localhost/old
                  new:
                    url: postgresql://localhost/new
                """);
        ConfigLoader.Config config = loader(Map.of()).load(file);
        assertUsage(catchIt(() -> config.project("olf")), "'olf'", "old, new", file.toString());
    }

    @Test
    void projectWithoutUrl() throws IOException {
        Path file = write("projects:\n  app:\n    user: x\n");
        assertUsage(catchIt(() -> loader(Map.of()).load(file)), "app", "url");
    }

    @Test
    void badUrlInConfigNeverEchoesItsPassword() throws IOException {
        Path file = write("projects:\n  app:\n    url: mysql://u:Sup3rSecret@db/app\n");
        Throwable t = catchIt(() -> loader(Map.of()).load(file));
        assertUsage(t);
        assertThat(t.getMessage()).doesNotContain("Sup3rSecret");
    }

    @Test
    void defaultsApplyToEveryProjectAndProjectValuesWin() throws IOException {
        Path file = write("""
                defaults:
                  user: shared
                  backup:
                    keep_last: 3
                    keep_daily: 7
                projects:
                  a:
                    url: postgresql://localhost/a
                    backup:
                      keep_last: 5
                  b:
                    url: postgresql://localhost/b
                    user: own
                """);
        ConfigLoader.Config config = loader(Map.of()).load(file);
        assertThat(config.project("a").user()).isEqualTo("shared");
        assertThat(config.project("a").backup().keepLast()).isEqualTo(5);
        assertThat(config.project("a").backup().keepDaily()).isEqualTo(7);
        assertThat(config.project("b").user()).isEqualTo("own");
        assertThat(config.project("b").backup().keepLast()).isEqualTo(3);
    }

    @Test
    void missingExplicitConfigIsAUsageError() {
        assertUsage(catchIt(() -> loader(Map.of()).locate(dir.resolve("nope.yaml"))), "nope.yaml", "--config");
    }

    private static Throwable catchIt(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(call);
        assertThat(t).as("expected a failure").isNotNull();
        return t;
    }

    @Test
    void driftMetricsAndOnWarningAreReadWithDefaultsAndOff() throws IOException {
        Path file = write("""
                defaults:
                  drift: { max_drop: 30%, min_rows: 50 }
                  backup: { metrics_file: /var/lib/node_exporter/dbtool.prom, pushgateway: 'http://pg:9091' }
                  notify:
                    on_warning: { command: 'true' }
                projects:
                  a: { url: postgresql://h/a }
                  b: { url: postgresql://h/b, drift: off }
                  c: { url: postgresql://h/c, drift: { max_drop: 5 } }
                """);
        ConfigLoader.Config config = loader(Map.of()).load(file);
        assertThat(config.project("a").drift()).isEqualTo(new DriftSettings(true, 30, 50));
        assertThat(config.project("b").drift().enabled()).isFalse();
        assertThat(config.project("c").drift()).isEqualTo(new DriftSettings(true, 5, 50));
        assertThat(config.project("a").backup().metricsFile()).isEqualTo(Path.of("/var/lib/node_exporter/dbtool.prom"));
        assertThat(config.project("a").backup().pushgateway()).hasToString("http://pg:9091");
        assertThat(config.project("a").notifications().onWarning().command()).isEqualTo("true");

        Path none = write("projects:\n  a: { url: postgresql://h/a }\n");
        assertThat(loader(Map.of()).load(none).project("a").drift()).isEqualTo(DriftSettings.DEFAULT);
        Path bad = write("projects:\n  a: { url: postgresql://h/a, drift: { max_drop: 120% } }\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> loader(Map.of()).load(bad))
                .satisfies(t -> assertUsage(t, "projects.a.drift.max_drop must be a percentage", "120%"));
        Path typo = write("projects:\n  a: { url: postgresql://h/a, drift: { max_dorp: 10 } }\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> loader(Map.of()).load(typo))
                .satisfies(t -> assertUsage(t, "unknown key 'max_dorp' in projects.a.drift"));
    }

    private static final String PUBLIC_KEY = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

    @Test
    void encryptionDefaultsApplyToProjectsAndToArchivesWithoutAProject() throws IOException {
        Path recipients = Files.writeString(dir.resolve("recipients.txt"), "# ops\n" + PUBLIC_KEY + "\n\n");
        Path file = write("""
                defaults:
                  encryption:
                    recipients:
                      - %s
                    identity_file: ${DBTOOL_AGE_IDENTITY_FILE}
                projects:
                  app:
                    url: postgresql://localhost/app
                  other:
                    url: postgresql://localhost/other
                    encryption:
                      recipients_file: %s
                """.formatted(PUBLIC_KEY, recipients));
        ConfigLoader.Config config = loader(Map.of("DBTOOL_AGE_IDENTITY_FILE", "/keys/age.txt")).load(file);
        EncryptionSettings app = config.project("app").encryption();
        assertThat(app.recipients()).containsExactly(PUBLIC_KEY);
        assertThat(app.identityFile()).isEqualTo(Path.of("/keys/age.txt"));
        assertThat(app.encryption().recipientCount()).isEqualTo(1);
        // merged key by key: the file's recipient comes on top of the defaults' list
        assertThat(config.project("other").encryption().encryption().recipientCount()).isEqualTo(2);
        assertThat(config.defaultEncryption().identityFile()).isEqualTo(Path.of("/keys/age.txt"));

        ConfigLoader.Config unset = loader(Map.of()).load(file);
        assertThat(unset.project("app").encryption().identityFile()).isNull();
    }

    @Test
    void aBadRecipientIsAConfigErrorThatDoesNotEchoTheKey() throws IOException {
        String mangled = PUBLIC_KEY.substring(0, 40) + "x" + PUBLIC_KEY.substring(41);
        Path file = write("""
                projects:
                  app:
                    url: postgresql://localhost/app
                    encryption:
                      recipients: [%s]
                """.formatted(mangled));
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> loader(Map.of()).load(file));
        assertUsage(t, file.toString(), "projects.app.encryption", "recipient 1", "not a valid age X25519 public key");
        assertThat(t.getMessage()).doesNotContain(mangled.substring(10, 30));

        Path typo = write("""
                projects:
                  app:
                    url: postgresql://localhost/app
                    encryption: { recipient: %s }
                """.formatted(PUBLIC_KEY));
        assertUsage(org.assertj.core.api.Assertions.catchThrowable(() -> loader(Map.of()).load(typo)),
                "unknown key 'recipient'", "projects.app.encryption");
    }
}
