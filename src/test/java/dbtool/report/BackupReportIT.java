package dbtool.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dbtool.backup.BackupDirectory;
import dbtool.backup.BackupFile;
import dbtool.backup.RunHistory;
import dbtool.backup.TableDrift;
import dbtool.testing.CliRun;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `backups report` over real backups (plus two weeks of earlier nights, fabricated from a real archive), rendered by
 * a real browser: chromium --headless takes a screenshot and dumps the DOM, and logs no console error.
 */
class BackupReportIT {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static TestServer server;

    @TempDir
    Path tmp;

    @BeforeAll
    static void servers() {
        server = PgServers.defaultServer();
    }

    private static String credentials() {
        String password = server.superuserPassword();
        return "    user: " + server.superuser() + "\n"
                + (password == null || password.isEmpty() ? "" : "    password: '" + password + "'\n");
    }

    @Test
    void reportShowsTwoWeeksWithFailureAndDriftAndRendersInChromiumWithoutConsoleErrors() throws Exception {
        TestDatabase db = server.createDatabase("health_report");
        db.execute("create table orders (id int primary key, item text not null)",
                "insert into orders select g, 'item ' || g from generate_series(1, 6000) g",
                "create table customers (id int primary key)",
                "insert into customers select g from generate_series(1, 2500) g");
        Path backups = tmp.resolve("backups").toAbsolutePath();
        Path cfg = Files.writeString(tmp.resolve("dbtool.yaml"), "defaults:\n  backup:\n    dir: " + backups
                + "/{project}\n    keep_last: 3\n    keep_daily: 7\n"
                + "projects:\n  shop:\n    url: " + db.url() + "\n" + credentials()
                + "  idle:\n    url: postgresql://127.0.0.1:9/nothing\n    user: postgres\n");

        CliRun good = CliRun.of("backup", "--project", "shop", "--verify", "--config", cfg.toString());
        assertThat(good.exitCode()).as(good.toString()).isZero();
        db.execute("delete from orders where id > 3000");
        CliRun drift = CliRun.of("backup", "--project", "shop", "--config", cfg.toString());
        assertThat(drift.exitCode()).as(drift.toString()).isEqualTo(7);
        fabricateEarlierNights(backups.resolve("shop"));

        Path page = tmp.resolve("report.html");
        CliRun json = CliRun.of("backups", "report", "--all", "--days", "14", "--html", page.toString(),
                "--config", cfg.toString(), "--json");
        assertThat(json.exitCode()).as(json.toString()).isZero();
        JsonNode report = new ObjectMapper().readTree(json.out());
        JsonNode shop = report.get("projects").get(0);
        assertThat(shop.get("project").asText()).isEqualTo("shop");
        List<String> statuses = new ArrayList<>();
        shop.get("points").forEach(p -> statuses.add(p.get("status").asText()));
        assertThat(statuses).hasSize(15).containsOnly("verified", "unverified", "failed", "drift");
        assertThat(statuses.subList(13, 15)).containsExactly("verified", "drift");
        assertThat(statuses.stream().filter("failed"::equals).count()).isEqualTo(1);
        assertThat(shop.get("warnings").toString()).contains("drift: rows dropped sharply",
                "public.orders 6000 -> 3000 rows (-50.0%)");
        assertThat(shop.get("drifted_tables")).hasSize(1);
        assertThat(shop.get("drifted_tables").get(0).get("table").asText()).isEqualTo("public.orders");
        JsonNode plan = shop.get("retention");
        assertThat(plan).hasSize(14);
        assertThat(plan.get(2).get("reasons").toString()).contains("last");
        long removed = 0;
        for (JsonNode row : plan) {
            removed += row.get("keep").asBoolean() ? 0 : 1;
        }
        // Two archives today and one on each of 12 earlier days: keep_last 3 and keep_daily 7 keep 8 of them.
        assertThat(removed).isEqualTo(6);
        JsonNode idle = report.get("projects").get(1);
        assertThat(idle.get("warnings").toString()).contains("overdue: no backup at all");

        String html = Files.readString(page);
        assertThat(html).doesNotContain("http://", "https://", "<script", "<link", "<img")
                .contains("<svg", "Retention plan", "overdue: no backup at all");

        assumeTrue(Files.isExecutable(CHROMIUM), "chromium is not installed");
        Browser shot = chromium(page, "--screenshot=" + tmp.resolve("report.png"), "--window-size=1280,2200");
        assertThat(shot.consoleErrors()).as(shot.log()).isEmpty();
        assertThat(Files.size(tmp.resolve("report.png"))).as(shot.log()).isGreaterThan(20_000);
        Path docs = Path.of(System.getProperty("dbtool.report.screenshot", ""));
        if (!docs.toString().isEmpty()) {
            Files.copy(tmp.resolve("report.png"), docs, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }

        Browser dom = chromium(page, "--dump-dom");
        assertThat(dom.consoleErrors()).as(dom.log()).isEmpty();
        // The browser parsed every point of both main charts (15 each) and of the drifted table's chart as SVG.
        assertThat(count(dom.stdout(), "class=\"pt pt-")).isEqualTo(15 + 15 + 14);
        assertThat(count(dom.stdout(), "class=\"pt pt-failed\"")).isEqualTo(2);
        assertThat(count(dom.stdout(), "<li class=\"warn\">")).isGreaterThanOrEqualTo(2);

        // The console check can fail: a page that fetches something is refused by the report's policy and logged.
        Path control = Files.writeString(tmp.resolve("control.html"),
                html.replace("</main>", "<img src=\"http://127.0.0.1:9/x.png\"></main>"));
        assertThat(chromium(control, "--dump-dom").consoleErrors()).isNotEmpty();
    }

    /** Twelve earlier nights, one of them failed, made from the first real archive and recorded in the history. */
    private static void fabricateEarlierNights(Path dir) throws IOException {
        BackupDirectory backups = new BackupDirectory(dir, "shop");
        List<BackupFile> real = backups.archives();
        BackupFile first = real.get(real.size() - 1);
        RunHistory history = RunHistory.of(backups);
        List<String> lines = new ArrayList<>();
        Instant today = Instant.now().truncatedTo(ChronoUnit.DAYS).plus(Duration.ofHours(3));
        ObjectMapper json = new ObjectMapper();
        for (int night = 13; night >= 1; night--) {
            Instant at = today.minus(Duration.ofDays(night));
            if (night == 5) {
                lines.add(json.writeValueAsString(new RunHistory.Entry(at.plusSeconds(4), 1,
                        "cannot reach PostgreSQL at db1:5432 (Connection refused); is the server running?", null, 0, 0,
                        false, 4000, List.of(), null)));
                continue;
            }
            String name = backups.archiveName(at, "tar.gz");
            Files.copy(Path.of(first.path()), dir.resolve(name));
            Files.writeString(dir.resolve(name + ".sha256"), "0  " + name + "\n");
            boolean verified = night % 3 == 0;
            if (verified) {
                Files.writeString(dir.resolve(name + ".verified"), "verified_at=" + at + "\n");
            }
            long orders = 4800 + (13 - night) * 100L;
            long customers = 2300 + (13 - night) * 15L;
            lines.add(json.writeValueAsString(new RunHistory.Entry(at.plusSeconds(90), 0, null, name,
                    first.sizeBytes() - night * 900L, orders + customers, verified, 90_000, List.<TableDrift>of(),
                    Map.of("public.orders", orders, "public.customers", customers))));
        }
        lines.addAll(Files.readAllLines(history.file()));
        Files.write(history.file(), lines, StandardCharsets.UTF_8);
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    record Browser(String stdout, String log) {
        /**
         * Console messages. Chromium logs each as an {@code INFO:CONSOLE} line on stderr whatever its level; the page
         * has no script, so any message at all is the browser complaining (a blocked load, a parse error).
         */
        List<String> consoleErrors() {
            return log.lines().filter(l -> l.contains(":CONSOLE") || l.contains("Uncaught")).toList();
        }
    }

    private Browser chromium(Path page, String... extra) throws Exception {
        Path profile = Files.createTempDirectory(tmp, "chromium-profile");
        List<String> command = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic", "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0"));
        command.addAll(List.of(extra));
        command.add(page.toUri().toString());
        Path out = Files.createTempFile(tmp, "chromium", ".out");
        Path err = Files.createTempFile(tmp, "chromium", ".err");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("chromium finished").isTrue();
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        return new Browser(Files.readString(out), Files.readString(err));
    }
}
