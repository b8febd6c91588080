package dbtool.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dbtool.testing.CliRun;
import dbtool.testing.PgServers;
import dbtool.testing.Pushgateway;
import dbtool.testing.S3Server;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Drift alerts, metrics and the health report for backups kept in a bucket, end to end through the CLI: real
 * PostgreSQL, a real S3 API server (s3proxy) and a real Pushgateway (when installed). The metrics file stays local.
 */
class S3HealthIT {

    private static TestServer pg;
    private static S3Server s3;

    @TempDir
    Path tmp;

    private final List<TestDatabase> databases = new ArrayList<>();
    private Pushgateway pushgateway;

    @BeforeAll
    static void servers() {
        pg = PgServers.defaultServer();
        s3 = S3Server.shared();
    }

    @AfterEach
    void cleanUp() {
        databases.forEach(TestDatabase::drop);
        if (pushgateway != null) {
            pushgateway.close();
        }
    }

    private TestDatabase database(String name) {
        TestDatabase db = pg.createDatabase(name);
        databases.add(db);
        return db;
    }

    private Map<String, String> environment() {
        return s3.environment(tmp.resolve("work"));
    }

    private CliRun dbtool(String... args) {
        return CliRun.withEnvironment(environment(), args);
    }

    private Path config(String bucket, String backupExtra, TestDatabase db) throws IOException {
        String yaml = "defaults:\n" + s3.storageYaml()
                + "  backup:\n    dir: s3://" + bucket + "/nightly/{project}\n" + backupExtra
                + "projects:\n  shop:\n    url: " + db.url() + "\n" + pg.credentialsYaml();
        return Files.writeString(tmp.resolve("dbtool.yaml"), yaml);
    }

    private static JsonNode json(CliRun run) throws IOException {
        return new ObjectMapper().readTree(run.out());
    }

    private static List<String> keys(String bucket, String prefix) {
        return s3.objects(bucket, prefix).stream().map(S3Object::key).sorted().toList();
    }

    private static String fileName(String location) {
        return location.substring(location.lastIndexOf('/') + 1);
    }

    @Test
    void aDropInABucketIsCaughtExitSevenWithMetricsListReportAndTheArchiveBeforeItKept() throws Exception {
        TestDatabase db = database("s3health_shop");
        db.execute("create table orders (id int primary key, item text not null)",
                "insert into orders select g, 'item ' || g from generate_series(1, 5000) g",
                "create table customers (id int primary key)",
                "insert into customers select g from generate_series(1, 1500) g");
        String bucket = s3.createBucket("health");
        Path metrics = tmp.resolve("node-exporter/dbtool.prom");
        Path cfg = config(bucket, "    keep_last: 1\n    metrics_file: " + metrics + "\n", db);

        CliRun first = dbtool("backup", "--project", "shop", "--config", cfg.toString(), "--json");
        assertThat(first.exitCode()).as(first.toString()).isZero();
        CliRun second = dbtool("backup", "--project", "shop", "--config", cfg.toString(), "--json");
        assertThat(second.exitCode()).as(second.toString()).isZero();
        String firstArchive = json(first).get("projects").get(0).get("archive").asText();
        String beforeDrift = json(second).get("projects").get(0).get("archive").asText();
        assertThat(beforeDrift).startsWith("s3://" + bucket + "/nightly/shop/");
        assertThat(json(second).get("projects").get(0).get("removed").toString()).as("keep_last: 1")
                .contains(firstArchive);

        // An application bug deletes 90% of the orders.
        db.execute("delete from orders where id > 500");
        CliRun third = dbtool("backup", "--project", "shop", "--config", cfg.toString(), "--json");
        assertThat(third.exitCode()).as(third.toString()).isEqualTo(7);
        assertThat(third.err()).contains("warning drift in shop: public.orders 5000 -> 500 rows (-90.0%) since "
                + fileName(beforeDrift));
        JsonNode run = json(third).get("projects").get(0);
        String drifted = run.get("archive").asText();
        assertThat(run.get("exit_code").asInt()).isEqualTo(7);
        assertThat(run.get("drift")).hasSize(1);
        assertThat(run.get("drift").get(0).get("table").asText()).isEqualTo("public.orders");
        assertThat(run.get("drift").get(0).get("before").asLong()).isEqualTo(5000);
        assertThat(run.get("drift").get(0).get("after").asLong()).isEqualTo(500);
        assertThat(run.get("removed")).as("keep_last: 1, but the archive before the drift stays").isEmpty();
        assertThat(keys(bucket, "nightly/shop/")).contains(keyOf(beforeDrift), keyOf(drifted))
                .doesNotContain(keyOf(firstArchive));

        // The metrics file is local (node_exporter reads it) although the archives are in the bucket.
        String prom = Files.readString(metrics);
        assertThat(prom).contains("dbtool_backup_last_exit_code{project=\"shop\"} 7",
                "dbtool_backup_drift_tables{project=\"shop\"} 1", "dbtool_backup_archives{project=\"shop\"} 2",
                "dbtool_backup_rows{project=\"shop\"} 2000");
        assertThat(prom).containsPattern("dbtool_backup_size_bytes\\{project=\"shop\"} [1-9][0-9]+\n");
        assertThat(Files.exists(metrics.resolveSibling("dbtool.prom.lock"))).as("the merge lock is local").isTrue();

        CliRun list = dbtool("backups", "list", "--project", "shop", "--config", cfg.toString(), "--json");
        assertThat(list.exitCode()).as(list.toString()).isZero();
        JsonNode archives = json(list).get("archives");
        assertThat(archives).hasSize(2);
        assertThat(archives.get(0).get("rows").asLong()).isEqualTo(2000);
        assertThat(archives.get(0).get("rows_change").asLong()).isEqualTo(-4500);
        assertThat(archives.get(0).get("drift").asBoolean()).isTrue();
        assertThat(archives.get(1).get("rows").asLong()).isEqualTo(6500);

        CliRun prune = dbtool("backups", "prune", "--project", "shop", "--dry-run", "--config", cfg.toString());
        assertThat(prune.out()).contains(fileName(beforeDrift) + "  (" + BackupRun.REASON_BEFORE_DRIFT + ")");

        Path page = tmp.resolve("report.html");
        CliRun report = dbtool("backups", "report", "--project", "shop", "--html", page.toString(), "--config",
                cfg.toString(), "--json");
        assertThat(report.exitCode()).as(report.toString()).isZero();
        JsonNode shop = json(report).get("projects").get(0);
        assertThat(shop.get("dir").asText()).isEqualTo("s3://" + bucket + "/nightly/shop");
        assertThat(shop.get("archives").asInt()).isEqualTo(2);
        List<String> statuses = new ArrayList<>();
        shop.get("points").forEach(p -> statuses.add(p.get("status").asText()));
        assertThat(statuses).containsExactly("unverified", "drift");
        assertThat(shop.get("points").get(0).get("rows").asLong()).isEqualTo(6500);
        assertThat(shop.get("points").get(1).get("size_bytes").asLong()).isPositive();
        assertThat(shop.get("drifted_tables")).hasSize(1);
        JsonNode orders = shop.get("drifted_tables").get(0);
        assertThat(orders.get("table").asText()).isEqualTo("public.orders");
        assertThat(orders.get("points").get(0).get("rows").asLong()).isEqualTo(5000);
        assertThat(orders.get("points").get(1).get("rows").asLong()).isEqualTo(500);
        assertThat(shop.get("retention").toString()).contains(BackupRun.REASON_BEFORE_DRIFT);
        assertThat(shop.get("warnings").toString()).contains("drift: rows dropped sharply in " + fileName(drifted),
                "public.orders 5000 -> 500 rows (-90.0%)");
        String html = Files.readString(page);
        assertThat(html).contains("<svg", "s3://" + bucket + "/nightly/shop", "Tables that drifted",
                "public.orders 5000 -&gt; 500 rows", BackupRun.REASON_BEFORE_DRIFT, "class=\"pt pt-drift\"")
                .doesNotContain("http://", "https://", "<script");

        // Without the history (archives from before it existed), the rows come from the manifests in the bucket.
        s3.client().deleteObject(b -> b.bucket(bucket).key("nightly/shop/shop" + RunHistory.SUFFIX));
        JsonNode fromManifests = json(dbtool("backups", "list", "--project", "shop", "--config", cfg.toString(),
                "--json")).get("archives");
        assertThat(fromManifests.get(0).get("rows").asLong()).isEqualTo(2000);
        assertThat(fromManifests.get(1).get("rows").asLong()).isEqualTo(6500);

        // A later backup without drift: now the archive from before the drift may go, and the metrics say all is well.
        CliRun fourth = dbtool("backup", "--project", "shop", "--config", cfg.toString(), "--json");
        assertThat(fourth.exitCode()).as(fourth.toString()).isZero();
        assertThat(json(fourth).get("projects").get(0).get("removed").toString()).contains(beforeDrift);
        assertThat(Files.readString(metrics)).contains("dbtool_backup_last_exit_code{project=\"shop\"} 0",
                "dbtool_backup_drift_tables{project=\"shop\"} 0");
    }

    @Test
    void metricsOfABucketArePushedAndARunThatCannotReachTheBucketStillReportsItsExitCode() throws Exception {
        assumeTrue(Pushgateway.installed(), "prometheus-pushgateway is not installed");
        pushgateway = Pushgateway.start(tmp);
        String base = pushgateway.url();
        TestDatabase db = database("s3health_push");
        db.execute("create table t (id int primary key)", "insert into t select g from generate_series(1, 42) g");
        String bucket = s3.createBucket("push");
        Path metrics = tmp.resolve("dbtool.prom");
        Path cfg = config(bucket, "    metrics_file: " + metrics + "\n    pushgateway: " + base + "\n", db);

        CliRun good = dbtool("backup", "--project", "shop", "--config", cfg.toString());
        assertThat(good.exitCode()).as(good.toString()).isZero();
        assertThat(good.err()).doesNotContain("metrics");
        assertThat(Files.readString(metrics)).contains("dbtool_backup_rows{project=\"shop\"} 42",
                "dbtool_backup_archives{project=\"shop\"} 1");

        // Wrong keys: the run fails (exit 2) and cannot count the archives, yet the exit code reaches both outputs.
        Map<String, String> wrong = new HashMap<>(environment());
        wrong.put("AWS_SECRET_ACCESS_KEY", "not-the-secret");
        CliRun denied = CliRun.withEnvironment(wrong, "backup", "--project", "shop", "--config", cfg.toString());
        assertThat(denied.exitCode()).as(denied.toString()).isEqualTo(2);
        assertThat(denied.err()).contains("only the run's own metrics of shop were updated").doesNotContain("not-the-secret");
        String prom = Files.readString(metrics);
        assertThat(prom).contains("dbtool_backup_last_exit_code{project=\"shop\"} 2",
                "dbtool_backup_rows{project=\"shop\"} 42", "dbtool_backup_archives{project=\"shop\"} 1");

        String scraped = pushgateway.scrape();
        assertThat(scraped).containsPattern("dbtool_backup_last_exit_code\\{.*project=\"shop\".*} 2")
                .as("a partial push keeps the values it cannot update")
                .containsPattern("dbtool_backup_rows\\{.*project=\"shop\".*} 42");
    }

    @Test
    void aReportOfEveryProjectShowsTheReadableOnesWhenOneBucketIsGone() throws Exception {
        TestDatabase db = database("s3health_two");
        db.execute("create table t (id int primary key)", "insert into t select g from generate_series(1, 10) g");
        String bucket = s3.createBucket("two");
        String yaml = "defaults:\n" + s3.storageYaml()
                + "  backup:\n    dir: s3://" + bucket + "/nightly/{project}\n"
                + "projects:\n  shop:\n    url: " + db.url() + "\n" + pg.credentialsYaml()
                + "  gone:\n    url: " + db.url() + "\n" + pg.credentialsYaml()
                + "    backup:\n      dir: s3://no-such-bucket-" + bucket + "/nightly/gone\n";
        Path cfg = Files.writeString(tmp.resolve("two.yaml"), yaml);
        CliRun backup = dbtool("backup", "--project", "shop", "--config", cfg.toString());
        assertThat(backup.exitCode()).as(backup.toString()).isZero();

        Path page = tmp.resolve("two.html");
        CliRun report = dbtool("backups", "report", "--all", "--html", page.toString(), "--config", cfg.toString(),
                "--json");
        assertThat(report.exitCode()).as("a bucket that does not exist is a config problem: " + report).isEqualTo(2);
        assertThat(report.err()).contains("the backups of gone could not be read").doesNotContain("Exception");
        JsonNode document = json(report);
        assertThat(document.get("ok").asBoolean()).isFalse();
        JsonNode shop = document.get("projects").get(0);
        assertThat(shop.get("project").asText()).isEqualTo("shop");
        assertThat(shop.get("archives").asInt()).as("the readable project is still reported").isEqualTo(1);
        assertThat(shop.get("error").isNull()).isTrue();
        JsonNode gone = document.get("projects").get(1);
        assertThat(gone.get("project").asText()).isEqualTo("gone");
        assertThat(gone.get("error").asText()).contains("no-such-bucket-" + bucket);
        assertThat(gone.get("exit_code").asInt()).isEqualTo(report.exitCode());
        assertThat(gone.get("warnings").get(0).asText()).startsWith("unreadable: ");
        assertThat(Files.readString(page)).contains("unreadable: ", "no-such-bucket-" + bucket);

        CliRun text = dbtool("backups", "report", "--config", cfg.toString());
        assertThat(text.exitCode()).isEqualTo(report.exitCode());
        assertThat(text.out()).contains("shop: ", "gone: 1 warning(s)", "unreadable: ");
    }

    private static String keyOf(String location) {
        return location.substring(location.indexOf('/', "s3://".length()) + 1);
    }
}
