package dbtool.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dbtool.testing.CliRun;
import dbtool.testing.PgServers;
import dbtool.testing.Pushgateway;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Drift alerts and metrics of `dbtool backup`, end to end through the CLI against a real server. */
class BackupHealthIT {

    private static TestServer server;

    @TempDir
    Path tmp;

    private Pushgateway pushgateway;

    @BeforeAll
    static void servers() {
        server = PgServers.defaultServer();
    }

    @AfterEach
    void stopPushgateway() {
        if (pushgateway != null) {
            pushgateway.close();
        }
    }

    private static String credentials() {
        String password = server.superuserPassword();
        return "    user: " + server.superuser() + "\n"
                + (password == null || password.isEmpty() ? "" : "    password: '" + password + "'\n");
    }

    private Path config(String defaultsBackup, String projects) throws IOException {
        String yaml = "defaults:\n  backup:\n    dir: " + tmp.resolve("backups").toAbsolutePath() + "/{project}\n"
                + defaultsBackup + "projects:\n" + projects;
        return Files.writeString(tmp.resolve("dbtool.yaml"), yaml);
    }

    private static JsonNode json(CliRun run) throws IOException {
        return new ObjectMapper().readTree(run.out());
    }

    @Test
    void halfATableDeletedIsCaughtAsDriftExitSevenAndThePreviousArchiveIsKept() throws Exception {
        TestDatabase db = server.createDatabase("health_shop");
        db.execute("create table orders (id int primary key, item text not null)",
                "insert into orders select g, 'item ' || g from generate_series(1, 5000) g",
                "create table events (id int primary key)",
                "insert into events select g from generate_series(1, 2000) g",
                "create table tiny (id int primary key)",
                "insert into tiny select g from generate_series(1, 10) g",
                "create table growing (id int primary key)",
                "insert into growing select g from generate_series(1, 3000) g");
        Path notified = tmp.resolve("notified.txt");
        Path metrics = tmp.resolve("metrics/dbtool.prom");
        Path cfg = config("    keep_last: 1\n    metrics_file: " + metrics + "\n",
                "  shop:\n    url: " + db.url() + "\n" + credentials()
                + "    notify:\n"
                + "      on_warning:\n        command: 'echo \"$DBTOOL_PROJECT $DBTOOL_STATUS $DBTOOL_EXIT_CODE $DBTOOL_MESSAGE\""
                + " >> " + notified + "'\n"
                + "      on_success:\n        command: 'echo \"$DBTOOL_PROJECT $DBTOOL_STATUS\" >> " + notified + "'\n");

        CliRun first = CliRun.of("backup", "--project", "shop", "--config", cfg.toString(), "-q");
        assertThat(first.exitCode()).as(first.toString()).isZero();
        assertThat(first.err()).as("a good night prints nothing with -q").isEmpty();

        // An application bug deletes half the orders and drops a table; tiny tables and growth are no alarm.
        db.execute("delete from orders where id % 2 = 0", "drop table events", "delete from tiny",
                "insert into growing select g from generate_series(3001, 6000) g");
        CliRun second = CliRun.of("backup", "--project", "shop", "--config", cfg.toString(), "-q", "--json");
        assertThat(second.exitCode()).as(second.toString()).isEqualTo(7);
        List<String> warnings = second.errLines();
        assertThat(warnings).hasSize(2);
        assertThat(warnings.get(0)).contains("warning drift in shop: public.events 2000 -> gone");
        assertThat(warnings.get(1)).contains("warning drift in shop: public.orders 5000 -> 2500 rows (-50.0%)");
        JsonNode project = json(second).get("projects").get(0);
        assertThat(project.get("exit_code").asInt()).isEqualTo(7);
        assertThat(project.get("ok").asBoolean()).as("the archive is written and kept").isTrue();
        assertThat(project.get("drift")).hasSize(2);
        assertThat(project.get("drift").get(1).get("table").asText()).isEqualTo("public.orders");
        assertThat(project.get("drift").get(1).get("before").asLong()).isEqualTo(5000);
        assertThat(project.get("drift").get(1).get("after").asLong()).isEqualTo(2500);
        assertThat(project.get("drift").get(0).get("after").isNull()).isTrue();

        List<String> notes = Files.readAllLines(notified);
        assertThat(notes).hasSize(2);
        assertThat(notes.get(0)).isEqualTo("shop success");
        assertThat(notes.get(1)).startsWith("shop warning 7 backup of shop written").contains("public.orders 5000 -> 2500");

        // keep_last: 1 alone would delete the first archive; it is the last one from before the drift.
        CliRun list = CliRun.of("backups", "list", "--project", "shop", "--config", cfg.toString(), "--json");
        JsonNode archives = json(list).get("archives");
        assertThat(archives).hasSize(2);
        assertThat(archives.get(0).get("rows").asLong()).isEqualTo(2500 + 6000);
        assertThat(archives.get(0).get("rows_change").asLong()).isEqualTo(2500 + 6000 - (5000 + 2000 + 10 + 3000));
        assertThat(archives.get(0).get("drift").asBoolean()).isTrue();
        assertThat(archives.get(1).get("rows").asLong()).isEqualTo(5000 + 2000 + 10 + 3000);
        assertThat(archives.get(1).get("rows_change").isNull()).isTrue();
        CliRun listText = CliRun.of("backups", "list", "--project", "shop", "--config", cfg.toString());
        assertThat(listText.out()).contains("8500 rows  -1510", "DRIFT", "10010 rows");
        CliRun prune = CliRun.of("backups", "prune", "--project", "shop", "--dry-run", "--config", cfg.toString());
        assertThat(prune.out()).contains("(" + BackupRun.REASON_BEFORE_DRIFT + ")");

        String prom = Files.readString(metrics);
        assertThat(prom).contains("# HELP dbtool_backup_last_exit_code ", "# TYPE dbtool_backup_last_exit_code gauge",
                "dbtool_backup_last_exit_code{project=\"shop\"} 7", "dbtool_backup_drift_tables{project=\"shop\"} 2",
                "dbtool_backup_archives{project=\"shop\"} 2", "dbtool_backup_rows{project=\"shop\"} 8500");

        // The next backup compares with the drifted one: no new drop, exit 0, and now the pre-drift archive may go.
        CliRun third = CliRun.of("backup", "--project", "shop", "--config", cfg.toString(), "--json");
        assertThat(third.exitCode()).as(third.toString()).isZero();
        assertThat(json(third).get("projects").get(0).get("drift")).isEmpty();
        assertThat(new BackupDirectory(tmp.resolve("backups/shop").toAbsolutePath(), "shop").archives()).hasSize(1);
        assertThat(Files.readString(metrics)).contains("dbtool_backup_last_exit_code{project=\"shop\"} 0",
                "dbtool_backup_drift_tables{project=\"shop\"} 0");
    }

    @Test
    void driftOffAndMinRowsAreHonoured() throws Exception {
        TestDatabase db = server.createDatabase("health_off");
        db.execute("create table orders (id int primary key)",
                "insert into orders select g from generate_series(1, 1500) g");
        Path cfg = config("", "  off:\n    url: " + db.url() + "\n" + credentials() + "    drift: off\n"
                + "  high:\n    url: " + db.url() + "\n" + credentials() + "    drift: { min_rows: 2000 }\n"
                + "  strict:\n    url: " + db.url() + "\n" + credentials() + "    drift: { max_drop: 5% }\n");
        assertThat(CliRun.of("backup", "--all", "--config", cfg.toString()).exitCode()).isZero();
        db.execute("delete from orders where id <= 100"); // -6.7%
        CliRun all = CliRun.of("backup", "--all", "--config", cfg.toString(), "--json");
        assertThat(all.exitCode()).as(all.toString()).isEqualTo(7);
        JsonNode projects = json(all).get("projects");
        assertThat(projects.get(0).get("drift")).as("drift: off").isEmpty();
        assertThat(projects.get(1).get("drift")).as("below min_rows").isEmpty();
        assertThat(projects.get(2).get("drift")).as("max_drop 5%").hasSize(1);
        assertThat(all.err()).contains("drift in strict: public.orders 1500 -> 1400 rows (-6.7%)")
                .doesNotContain("drift in off", "drift in high");
    }

    @Test
    void metricsOfSeparateRunsAreMergedAndPushedToARealPushgateway() throws Exception {
        assumeTrue(Pushgateway.installed(), "prometheus-pushgateway is not installed");
        pushgateway = Pushgateway.start(tmp);
        String base = pushgateway.url();

        TestDatabase db = server.createDatabase("health_metrics");
        db.execute("create table t (id int primary key)", "insert into t select g from generate_series(1, 42) g");
        Path metrics = tmp.resolve("dbtool.prom");
        Path cfg = config("    metrics_file: " + metrics + "\n    pushgateway: " + base + "/\n",
                "  good:\n    url: " + db.url() + "\n" + credentials()
                + "  down:\n    url: postgresql://127.0.0.1:9/nothing\n    user: postgres\n");
        Instant before = Instant.now();
        CliRun good = CliRun.of("backup", "--project", "good", "--config", cfg.toString());
        assertThat(good.exitCode()).as(good.toString()).isZero();
        CliRun down = CliRun.of("backup", "--project", "down", "--config", cfg.toString());
        assertThat(down.exitCode()).isEqualTo(1);
        assertThat(down.err()).doesNotContain("metrics");

        String prom = Files.readString(metrics);
        assertThat(prom).as("the second run kept the first run's lines")
                .contains("dbtool_backup_last_exit_code{project=\"down\"} 1",
                        "dbtool_backup_last_exit_code{project=\"good\"} 0",
                        "dbtool_backup_last_success_timestamp_seconds{project=\"down\"} 0",
                        "dbtool_backup_rows{project=\"good\"} 42",
                        "dbtool_backup_archives{project=\"good\"} 1");
        long lastSuccess = Long.parseLong(prom.lines()
                .filter(l -> l.startsWith("dbtool_backup_last_success_timestamp_seconds{project=\"good\"}"))
                .findFirst().orElseThrow().split(" ")[1]);
        assertThat(lastSuccess).isGreaterThanOrEqualTo(before.getEpochSecond());
        assertThat(prom.lines().filter(l -> l.startsWith("# TYPE dbtool_backup_rows ")).count()).isEqualTo(1);
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).as("no temporary file left")
                    .noneMatch(n -> n.endsWith(".tmp"));
        }

        String scraped = pushgateway.scrape();
        assertThat(scraped).containsPattern("dbtool_backup_last_exit_code\\{.*project=\"good\".*} 0")
                .containsPattern("dbtool_backup_last_exit_code\\{.*project=\"down\".*} 1")
                .containsPattern("dbtool_backup_rows\\{.*project=\"good\".*} 42");
    }
}
