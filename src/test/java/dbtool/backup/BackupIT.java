package dbtool.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dbtool.cli.DbTool;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestRole;
import dbtool.testing.TestServer;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `dbtool backup`, `backups list/prune` and `schedule` end to end, through the CLI, against a real server. */
class BackupIT {

    private static TestServer server;
    /** Big enough (2M rows) that a backup of it runs for seconds: long enough to overlap or kill it mid-dump. */
    private static TestDatabase big;

    @TempDir
    Path tmp;

    private final List<Process> children = new ArrayList<>();

    @BeforeAll
    static void servers() {
        server = PgServers.defaultServer();
        big = server.createDatabase("bk_big");
        big.execute("create table events (id bigint primary key, payload text)",
                "insert into events select g, md5(g::text) || md5((g * 7)::text) from generate_series(1, 2000000) g");
    }

    @AfterEach
    void killChildren() {
        children.forEach(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        });
    }

    record Cli(int code, String out, String err) {
        JsonNode json() throws IOException {
            return new ObjectMapper().readTree(out);
        }
    }

    static Cli dbtool(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = DbTool.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Cli(code, out.toString(), err.toString());
    }

    private static TestDatabase shopDatabase() {
        TestDatabase db = server.createDatabase("bk_shop");
        db.execute("create table orders (id int primary key, item text not null)",
                "insert into orders select g, 'item ' || g from generate_series(1, 500) g");
        return db;
    }

    private Path backups() {
        return tmp.resolve("backups").toAbsolutePath();
    }

    private static String credentials() {
        String password = server.superuserPassword();
        return "    user: " + server.superuser() + "\n"
                + (password == null || password.isEmpty() ? "" : "    password: '" + password + "'\n");
    }

    /** A config whose defaults follow the issue, with the given projects block appended. */
    private Path config(String projects) throws IOException {
        String yaml = "defaults:\n"
                + "  backup:\n"
                + "    dir: " + backups() + "/{project}\n"
                + "    keep_last: 7\n"
                + "    keep_daily: 7\n"
                + "    keep_weekly: 4\n"
                + "    keep_monthly: 6\n"
                + "projects:\n" + projects;
        return Files.writeString(tmp.resolve("dbtool.yaml"), yaml);
    }

    private static String project(String name, TestDatabase db, String extra) {
        return "  " + name + ":\n    url: " + db.url() + "\n" + credentials() + extra;
    }

    private static List<String> names(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static List<String> archiveNames(Path dir, String project) {
        return new BackupDirectory(dir, project).archives().stream().map(BackupFile::fileName).toList();
    }

    @Test
    void threeBackupsWithKeepLastTwoLeaveTheTwoNewest() throws Exception {
        TestDatabase db = shopDatabase();
        Path cfg = config(project("shop", db, "    backup:\n      keep_last: 2\n      keep_daily: 0\n"
                + "      keep_weekly: 0\n      keep_monthly: 0\n"));
        List<String> written = new ArrayList<>();
        JsonNode summary = null;
        for (int i = 0; i < 3; i++) {
            Cli run = dbtool("backup", "--project", "shop", "--config", cfg.toString(), "--json");
            assertThat(run.code()).as(run.err()).isZero();
            summary = run.json().get("projects").get(0);
            assertThat(summary.get("ok").asBoolean()).isTrue();
            written.add(Path.of(summary.get("archive").asText()).getFileName().toString());
        }
        Path dir = backups().resolve("shop");
        // backup --json and backups prune --json name archives the same way: full paths.
        assertThat(summary.get("kept")).extracting(JsonNode::asText)
                .containsExactly(dir.resolve(written.get(2)).toString(), dir.resolve(written.get(1)).toString());
        assertThat(summary.get("removed").get(0).asText()).isEqualTo(dir.resolve(written.get(0)).toString());
        Cli prune = dbtool("backups", "prune", "--project", "shop", "--dry-run", "--config", cfg.toString(), "--json");
        assertThat(prune.json().get("ok").asBoolean()).isTrue();
        assertThat(prune.json().get("dry_run").asBoolean()).isTrue();
        assertThat(prune.json().get("projects").get(0).get("kept")).isEqualTo(summary.get("kept"));
        assertThat(archiveNames(dir, "shop")).containsExactly(written.get(2), written.get(1));
        assertThat(names(dir)).containsExactlyInAnyOrder(written.get(2), written.get(2) + ".sha256",
                written.get(1), written.get(1) + ".sha256", "shop.lock", "shop.history.jsonl");

        Cli list = dbtool("backups", "list", "--project", "shop", "--config", cfg.toString(), "--json");
        assertThat(list.code()).isZero();
        assertThat(list.json().get("ok").asBoolean()).isTrue();
        assertThat(list.json().get("archives")).hasSize(2);
        assertThat(list.json().get("archives").get(0).get("verified").asBoolean()).isFalse();
        Cli text = dbtool("backups", "list", "--config", cfg.toString());
        assertThat(text.out()).contains(written.get(2), written.get(1), "not verified").doesNotContain(written.get(0));
    }

    @Test
    void gfsRetentionKeepsExactlyTheRightFabricatedArchives() throws Exception {
        TestDatabase db = shopDatabase();
        Path cfg = config(project("shop", db, "    backup:\n      keep_last: 1\n      keep_daily: 2\n"
                + "      keep_weekly: 1\n      keep_monthly: 3\n"));
        Path dir = Files.createDirectories(backups().resolve("shop"));
        // Walked newest first after tonight's archive N (last, daily, weekly, monthly 1 of 3):
        List<String> kept = List.of(
                "shop-20240310T100000Z.tar.gz",   // a new day (daily 2 of 2) and a new month (monthly 2 of 3)
                "shop-20240220T120000Z.tar.gz");  // a new month (monthly 3 of 3)
        List<String> removed = List.of(
                "shop-20240310T080000Z.tar.gz",   // same day and month as the one above
                "shop-20240309T120000Z.tar.gz",   // daily used up, same month
                "shop-20240205T120000Z.tar.gz",   // every rule used up from here on
                "shop-20240115T120000Z.tar.gz",
                "shop-20231201T120000Z.tar.gz");  // the oldest: no rule has count left to keep it
        for (String name : Stream.concat(kept.stream(), removed.stream()).toList()) {
            Files.writeString(dir.resolve(name), "fabricated");
            Files.writeString(dir.resolve(name + ".sha256"), "0  " + name + "\n");
        }
        Files.writeString(dir.resolve("notes.txt"), "not ours");
        Files.writeString(dir.resolve("other-20240101T000000Z.tar.gz"), "another project's");
        Files.writeString(dir.resolve("other-20240101T000000Z.tar.gz.sha256"), "x");

        Cli dry = dbtool("backups", "prune", "--project", "shop", "--dry-run", "--config", cfg.toString(), "--json");
        assertThat(dry.code()).as(dry.err()).isZero();
        // Without tonight's archive the dry run keeps the newest fabricated ones; nothing is deleted by it.
        assertThat(dry.json().get("projects").get(0).get("removed")).isNotEmpty();
        assertThat(archiveNames(dir, "shop")).hasSize(7);

        Cli run = dbtool("backup", "--project", "shop", "--config", cfg.toString(), "--json");
        assertThat(run.code()).as(run.err()).isZero();
        String tonight = Path.of(run.json().get("projects").get(0).get("archive").asText()).getFileName().toString();

        assertThat(archiveNames(dir, "shop")).containsExactly(tonight, kept.get(0), kept.get(1));
        assertThat(names(dir)).contains("notes.txt", "other-20240101T000000Z.tar.gz", "other-20240101T000000Z.tar.gz.sha256");
        for (String gone : removed) {
            assertThat(dir.resolve(gone)).doesNotExist();
            assertThat(dir.resolve(gone + ".sha256")).doesNotExist();
        }
        assertThat(run.json().get("projects").get(0).get("removed")).hasSize(5);
        assertThat(run.json().get("projects").get(0).get("removed").toString())
                .contains('"' + dir.resolve(removed.get(0)).toString() + '"');
    }

    @Test
    void failingBackupsExitNonZeroRunTheFailureNotifierAndDeleteNothing() throws Exception {
        TestDatabase db = shopDatabase();
        TestRole role = server.createRole("bk_role", "right-password");
        Path notified = tmp.resolve("notified.txt");
        String notify = "    notify:\n      on_failure:\n"
                + "        command: 'echo \"$DBTOOL_PROJECT $DBTOOL_STATUS $DBTOOL_EXIT_CODE\" >> " + notified + "'\n"
                + "        url: http://127.0.0.1:9/unreachable\n        timeout: 2s\n";
        String retention = "    backup:\n      keep_last: 1\n      keep_daily: 0\n      keep_weekly: 0\n      keep_monthly: 0\n";
        Path cfg = config(
                "  down:\n    url: postgresql://127.0.0.1:9/nothing\n    user: postgres\n" + retention + notify
                + "  badpw:\n    url: " + db.url() + "\n    user: " + role.name() + "\n    password: wrong\n" + retention + notify
                + project("shop", db, notify));
        // Old archives that retention would remove (keep_last 1) if a failed run ever got that far.
        for (String project : List.of("down", "badpw")) {
            Path dir = Files.createDirectories(backups().resolve(project));
            for (String stamp : List.of("20240101T000000Z", "20240102T000000Z")) {
                String name = project + "-" + stamp + ".tar.gz";
                Files.writeString(dir.resolve(name), "old");
                Files.writeString(dir.resolve(name + ".sha256"), "0  " + name + "\n");
            }
        }

        Cli single = dbtool("backup", "--project", "down", "--config", cfg.toString());
        assertThat(single.code()).isEqualTo(1);
        assertThat(single.err().lines().filter(l -> l.startsWith("dbtool: error:")).toList()).hasSize(1);
        assertThat(single.err()).contains("dbtool: error: backup of down failed:").doesNotContain("\tat ");
        // The unreachable notify URL is only a warning: it does not change exit code 1.
        assertThat(single.err()).contains("notify POST to http://127.0.0.1:9/unreachable");

        Cli all = dbtool("backup", "--all", "--config", cfg.toString(), "--json");
        assertThat(all.code()).as(all.err()).isNotZero();
        assertThat(all.err()).contains("2 of 3 backups failed", "down (exit 1", "badpw (exit ");
        JsonNode projects = all.json().get("projects");
        assertThat(projects.get(0).get("ok").asBoolean()).isFalse();
        assertThat(projects.get(1).get("ok").asBoolean()).isFalse();
        assertThat(projects.get(2).get("ok").asBoolean()).as("--all goes on after failures").isTrue();

        assertThat(Files.readAllLines(notified)).containsExactly("down failure 1", "down failure 1",
                "badpw failure " + projects.get(1).get("exit_code").asInt());
        for (String project : List.of("down", "badpw")) {
            assertThat(archiveNames(backups().resolve(project), project)).containsExactly(
                    project + "-20240102T000000Z.tar.gz", project + "-20240101T000000Z.tar.gz");
        }
    }

    @Test
    void secondBackupOfTheSameProjectExitsFiveAtOnce() throws Exception {
        Path cfg = config(project("big", big, ""));
        Path dir = backups().resolve("big");
        Process first = startBackupJvm(cfg, "big");
        waitFor(() -> workDirectory(dir) != null && Files.exists(dir.resolve("big.lock"))
                && readQuietly(dir.resolve("big.lock")).contains("pid=" + first.pid()), first);

        long started = System.nanoTime();
        Cli second = dbtool("backup", "--project", "big", "--config", cfg.toString());
        assertThat(second.code()).isEqualTo(5);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        assertThat(second.err()).contains("another backup of project 'big' is running (pid " + first.pid());

        assertThat(first.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(first.exitValue()).isZero();
        assertThat(archiveNames(dir, "big")).hasSize(1);
    }

    @Test
    void backupKilledMidDumpLeavesNothingThatCountsAndTheNextRunCleansUp() throws Exception {
        Path cfg = config(project("big", big, ""));
        Path dir = backups().resolve("big");
        Process child = startBackupJvm(cfg, "big");
        waitFor(() -> {
            Path work = workDirectory(dir);
            return work != null && Files.isDirectory(work.resolve("dump")) && names(work.resolve("dump")).size() > 1;
        }, child);
        // kill -9 the JVM, then its pg_dump (as a process-group kill by systemd or the OOM killer's cgroup would).
        List<ProcessHandle> dumpers = child.descendants().toList();
        child.destroyForcibly();
        dumpers.forEach(ProcessHandle::destroyForcibly);
        child.waitFor(30, TimeUnit.SECONDS);
        for (ProcessHandle p : dumpers) {
            p.onExit().get(30, TimeUnit.SECONDS);
        }
        assertThat(workDirectory(dir)).as("the killed run left its work directory").isNotNull();
        String leftover = workDirectory(dir).getFileName().toString();

        Cli list = dbtool("backups", "list", "--project", "big", "--config", cfg.toString(), "--json");
        assertThat(list.code()).isZero();
        assertThat(list.json().get("archives")).isEmpty();
        Cli listText = dbtool("backups", "list", "--project", "big", "--config", cfg.toString());
        // The work directory and the archive that was being written while pg_dump ran.
        String partial = leftover.substring(0, leftover.length() - ".work".length()) + ".partial";
        assertThat(listText.out()).contains("0 archive(s)", "2 leftover(s)");
        Cli prune = dbtool("backups", "prune", "--project", "big", "--dry-run", "--config", cfg.toString(), "--json");
        assertThat(prune.code()).as(prune.err()).isZero();
        assertThat(prune.err()).contains("took over the lock of a backup of big that died (pid " + child.pid());
        assertThat(prune.json().get("projects").get(0).get("kept")).isEmpty();
        assertThat(prune.json().get("projects").get(0).get("removed")).isEmpty();
        assertThat(prune.json().get("projects").get(0).get("leftovers").get(0).asText()).endsWith(partial);
        assertThat(prune.json().get("projects").get(0).get("leftovers").get(1).asText()).endsWith(leftover);

        Cli next = dbtool("backup", "--project", "big", "--config", cfg.toString(), "--json");
        assertThat(next.code()).as(next.err()).isZero();
        assertThat(next.json().get("projects").get(0).get("cleaned_leftovers").toString()).contains(leftover, partial);
        assertThat(new BackupDirectory(dir, "big").leftovers()).isEmpty();
        assertThat(archiveNames(dir, "big")).hasSize(1);
        assertThat(names(dir).stream().filter(n -> n.startsWith("."))).isEmpty();
    }

    /**
     * A killed import or backup --verify leaves its unpacked dump in .dbtool-import-<archive>-<n>/: backups list
     * shows it, the next backup of that project removes it, and one a running import holds is left alone.
     */
    @Test
    void importWorkDirectoriesLeftByAKilledRunAreShownAndRemovedByTheNextBackup() throws Exception {
        TestDatabase db = shopDatabase();
        Path cfg = config(project("shop", db, ""));
        Path dir = Files.createDirectories(backups().resolve("shop"));
        Path killed = Files.createDirectories(dir.resolve(".dbtool-import-shop-20250101T000000Z.tar.gz-4242/dump"))
                .getParent();
        Files.writeString(killed.resolve("dump/3345.dat.gz"), "half unpacked");
        Files.writeString(killed.resolve(".in-use"), "");
        Path running;
        try (dbtool.transfer.WorkFiles work = new dbtool.transfer.WorkFiles()) {
            running = work.createImportDir(dir, "shop-20250102T000000Z.tar.gz");
            Path otherProject = Files.createDirectories(dir.resolve(".dbtool-import-shopping-20250101T000000Z.tar.gz-1"));

            Cli list = dbtool("backups", "list", "--project", "shop", "--config", cfg.toString());
            assertThat(list.out()).as(list.err()).contains("1 leftover(s)", killed.toString())
                    .doesNotContain(running.toString());

            Cli run = dbtool("backup", "--project", "shop", "--config", cfg.toString(), "--json");
            assertThat(run.code()).as(run.err()).isZero();
            assertThat(run.json().get("projects").get(0).get("cleaned_leftovers").toString()).contains(killed.toString());
            assertThat(killed).doesNotExist();
            assertThat(running).as("a running import's directory").isDirectory();
            assertThat(otherProject).as("another project's").isDirectory();
        }
        assertThat(running).doesNotExist();
    }

    @Test
    void verifyMarksAGoodArchiveAndDropsTheThrowawayDatabase() throws Exception {
        TestDatabase db = shopDatabase();
        Path cfg = config(project("shop", db, "    backup:\n      verify_url: " + server.url("postgres") + "\n"));
        Cli run = dbtool("backup", "--project", "shop", "--verify", "--config", cfg.toString(), "--json");
        assertThat(run.code()).as(run.err()).isZero();
        JsonNode summary = run.json().get("projects").get(0);
        assertThat(summary.get("verified").asBoolean()).isTrue();
        assertThat(Path.of(summary.get("archive").asText() + ".verified")).exists();
        Cli list = dbtool("backups", "list", "--project", "shop", "--config", cfg.toString(), "--json");
        assertThat(list.json().get("archives").get(0).get("verified").asBoolean()).isTrue();
        assertThat(verifyDatabases()).isEmpty();
    }

    /** The archive may be fine: a verify server that cannot be reached is a runtime failure, with its cause on -v. */
    @Test
    void anUnreachableVerifyServerIsARuntimeFailureWithItsCause() throws Exception {
        TestDatabase db = shopDatabase();
        Path cfg = config(project("shop", db, "    backup:\n      verify_url: postgresql://127.0.0.1:1/postgres\n"));
        Cli run = dbtool("-v", "backup", "--project", "shop", "--verify", "--config", cfg.toString());
        assertThat(run.code()).as(run.err()).isEqualTo(1);
        assertThat(run.err()).contains("dbtool: error: backup of shop failed: verification of shop-")
                .contains("Caused by: ");
    }

    @Test
    void verifyCatchesAnArchiveWhoseDataDoesNotRestore() throws Exception {
        TestDatabase db = server.createDatabase("bk_bad");
        // Valid where it was written, rejected anywhere else: the kind of constraint that makes a dump unrestorable.
        db.execute("create function written_here() returns boolean language sql as"
                        + " $$ select current_database() not like 'dbtool_verify%' $$",
                "create table orders (id int primary key, item text, check (written_here()))",
                "insert into orders select g, 'item ' || g from generate_series(1, 100) g");
        Path cfg = config(project("bad", db, "    backup:\n      verify: true\n      keep_last: 1\n"
                + "      keep_daily: 0\n      keep_weekly: 0\n      keep_monthly: 0\n"));
        Path dir = Files.createDirectories(backups().resolve("bad"));
        Files.writeString(dir.resolve("bad-20240101T000000Z.tar.gz"), "old");
        Files.writeString(dir.resolve("bad-20240101T000000Z.tar.gz.sha256"), "0  bad-20240101T000000Z.tar.gz\n");

        Cli run = dbtool("backup", "--project", "bad", "--config", cfg.toString(), "--json");
        assertThat(run.code()).as(run.err()).isEqualTo(3);
        assertThat(run.err()).contains("dbtool: error: backup of bad failed: verification of bad-");
        JsonNode summary = run.json().get("projects").get(0);
        assertThat(summary.get("verified").asBoolean()).isFalse();
        assertThat(Path.of(summary.get("archive").asText() + ".verified")).doesNotExist();
        assertThat(dir.resolve("bad-20240101T000000Z.tar.gz")).as("a failed verification prunes nothing").exists();
        assertThat(verifyDatabases()).isEmpty();
    }

    @Test
    void quietBackupPrintsNothingOnSuccessAndTheLogHasTheArchive() throws Exception {
        TestDatabase db = shopDatabase();
        Path cfg = config(project("shop", db, ""));
        Path log = tmp.resolve("backup.log");
        Cli run = dbtool("backup", "--project", "shop", "-q", "--log", log.toString(), "--config", cfg.toString());
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).isEmpty();
        String archive = new BackupDirectory(backups().resolve("shop"), "shop").archives().get(0).path().toString();
        assertThat(Files.readString(log)).contains("backup of shop ok: " + archive);

        Cli loud = dbtool("backup", "--project", "shop", "--config", cfg.toString());
        assertThat(loud.out()).startsWith("ok      shop  ");
    }

    @Test
    void unusableBackupDirectoryIsAConfigErrorNamingTheFix() throws Exception {
        TestDatabase db = shopDatabase();
        Path blocker = Files.writeString(tmp.resolve("blocker"), "a file where the backup directory's parent should be");
        Path cfg = config(project("shop", db, "    backup:\n      dir: " + blocker.resolve("shop") + "\n"));
        for (String[] args : List.of(new String[] {"backup", "--project", "shop"},
                new String[] {"backups", "prune", "--project", "shop", "--yes"})) {
            List<String> command = new ArrayList<>(List.of(args));
            command.addAll(List.of("--config", cfg.toString()));
            Cli run = dbtool(command.toArray(String[]::new));
            assertThat(run.code()).as(run.err()).isEqualTo(2);
            List<String> errors = run.err().lines().filter(l -> l.startsWith("dbtool: error:")).toList();
            assertThat(errors).hasSize(1);
            assertThat(errors.get(0)).contains("cannot create backup directory " + blocker.resolve("shop"),
                    "; fix its permissions or set backup.dir in " + cfg);
        }
    }

    @Test
    void verifiedBackupDropsLeftoverVerifyDatabasesOfItsOwnProjectOnly() throws Exception {
        TestDatabase db = shopDatabase();
        Path cfg = config(project("shop", db, ""));
        String leftover = "dbtool_verify_shop_0badf00d";
        String otherProjects = "dbtool_verify_shop_eu_0badf00d"; // project shop_eu's: not under shop's lock
        try (Connection c = server.connectAdmin(); Statement st = c.createStatement()) {
            st.execute("create database " + leftover);
            st.execute("create database " + otherProjects);
        }
        try {
            Path log = tmp.resolve("backup.log");
            Cli run = dbtool("backup", "--project", "shop", "--verify", "--log", log.toString(), "--config",
                    cfg.toString(), "--json");
            assertThat(run.code()).as(run.err()).isZero();
            assertThat(Files.readString(log)).contains("dropped verification database " + leftover
                    + " left by an interrupted run");
            assertThat(run.json().get("projects").get(0).get("dropped_verify_databases").toString()).contains(leftover);
            assertThat(verifyDatabases()).containsExactly(otherProjects);
        } finally {
            try (Connection c = server.connectAdmin(); Statement st = c.createStatement()) {
                st.execute("drop database if exists " + leftover);
                st.execute("drop database if exists " + otherProjects);
            }
        }
    }

    @Test
    void sigtermDuringVerifyDropsTheThrowawayDatabaseAndIsNotReportedAsADeath() throws Exception {
        Path cfg = config(project("big", big, ""));
        Path dir = backups().resolve("big");
        Process child = startBackupJvm(cfg, "big", "--verify");
        waitFor(() -> !verifyDatabases().isEmpty(), child);

        child.destroy(); // SIGTERM, as systemd stop sends: shutdown hooks run
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).as(Files.readString(tmp.resolve("child.log"))).isTrue();
        assertThat(verifyDatabases()).as(Files.readString(tmp.resolve("child.log"))).isEmpty();
        assertThat(Files.readString(dir.resolve("big.lock"))).as("an orderly stop empties the lock file").isEmpty();

        Cli prune = dbtool("backups", "prune", "--project", "big", "--dry-run", "--config", cfg.toString());
        assertThat(prune.code()).as(prune.err()).isZero();
        assertThat(prune.err()).doesNotContain("took over");
    }

    @Test
    void crontabLineFromScheduleWorksUnderEnvIFromRoot() throws Exception {
        TestDatabase db = shopDatabase();
        Path cfg = config(project("shop", db, ""));
        Cli schedule = dbtool("schedule", "--project", "shop", "--at", "02:15", "--config", cfg.toString());
        assertThat(schedule.code()).as(schedule.err()).isZero();
        List<String> lines = schedule.out().lines().toList();
        assertThat(lines.get(0)).isEqualTo("# dbtool schedule: shop");
        String line = lines.get(1);
        assertThat(line).startsWith("15 2 * * * ").contains(" >> ").endsWith(" 2>&1")
                .contains("--config " + cfg.toAbsolutePath(), "dbtool.jar");
        // The running java, possibly by a link that survives Java upgrades (/usr/bin/java), never another one.
        String java = line.split(" ")[8];
        assertThat(Path.of(java).toRealPath())
                .isEqualTo(Path.of(System.getProperty("java.home"), "bin", "java").toRealPath());
        String command = line.split(" ", 6)[5];

        Process cron = new ProcessBuilder("env", "-i", "/bin/sh", "-c", command)
                .directory(new File("/")).redirectErrorStream(true).start();
        String output = new String(cron.getInputStream().readAllBytes());
        assertThat(cron.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(cron.exitValue()).as(output).isZero();

        Path dir = backups().resolve("shop");
        assertThat(archiveNames(dir, "shop")).hasSize(1);
        List<String> log = Files.readAllLines(dir.resolve("dbtool-backup.log"));
        assertThat(log).isNotEmpty().allMatch(l -> l.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ \\[\\d+] \\w+ .*"));
        assertThat(String.join("\n", log)).contains("backup of shop ok");
        // -q: a good night leaves nothing in the .cron file, which cron appends stdout and stderr to.
        assertThat(Files.readString(dir.resolve("dbtool-backup.log.cron"))).isEmpty();
        Cli verify = dbtool("verify", new BackupDirectory(dir, "shop").archives().get(0).path().toString());
        assertThat(verify.code()).as(verify.err()).isZero();
    }

    @Test
    void scheduleInstallAddsTheLineOnceAndKeepsOtherEntries() throws Exception {
        TestDatabase db = shopDatabase();
        Path cfg = config(project("shop", db, ""));
        // A stand-in crontab on PATH, so that the test never touches the real user's crontab.
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path table = tmp.resolve("crontab.txt");
        Path fake = Files.writeString(bin.resolve("crontab"), "#!/bin/sh\n"
                + "if [ \"$1\" = -l ]; then [ -f \"$FAKE_CRONTAB\" ] && exec cat \"$FAKE_CRONTAB\"; echo \"no crontab for me\" >&2; exit 1; fi\n"
                + "if [ \"$1\" = - ]; then cat > \"$FAKE_CRONTAB\"; exit 0; fi\nexit 2\n");
        fake.toFile().setExecutable(true);
        String[] schedule = {"schedule", "--project", "shop", "--install", "--config", cfg.toString()};

        assertThat(runWithFakeCrontab(bin, table, schedule)).isZero();
        Files.writeString(table, "MAILTO=ops@example.com\n" + Files.readString(table) + "5 4 * * * /usr/bin/true\n");
        assertThat(runWithFakeCrontab(bin, table, schedule)).isZero();
        assertThat(runWithFakeCrontab(bin, table, schedule)).isZero();

        List<String> lines = Files.readAllLines(table);
        assertThat(lines).hasSize(4);
        assertThat(lines.subList(0, 3)).containsExactly("MAILTO=ops@example.com", "5 4 * * * /usr/bin/true",
                "# dbtool schedule: shop");
        assertThat(lines.get(3)).startsWith("0 3 * * * cd ").contains("backup --project shop");
    }

    private int runWithFakeCrontab(Path bin, Path table, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", Path.of("target", "dbtool.jar").toAbsolutePath().toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("PATH", bin + ":/usr/bin:/bin");
        builder.environment().put("FAKE_CRONTAB", table.toString());
        Process p = builder.start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        return p.exitValue();
    }

    // --- helpers ---

    private Process startBackupJvm(Path cfg, String project, String... extra) throws IOException {
        Path jar = Path.of("target", "dbtool.jar").toAbsolutePath();
        assertThat(jar).as("mvn verify builds the jar before the ITs").exists();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString(), "backup", "--project", project, "--config", cfg.toString()));
        command.addAll(List.of(extra));
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
        children.add(p);
        return p;
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    private void waitFor(Condition condition, Process child) throws Exception {
        Instant deadline = Instant.now().plusSeconds(120);
        while (!condition.holds()) {
            if (!child.isAlive()) {
                throw new AssertionError("the backup ended before the test could catch it mid-dump: "
                        + Files.readString(tmp.resolve("child.log")));
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out; child output: " + Files.readString(tmp.resolve("child.log")));
            }
            Thread.sleep(10);
        }
    }

    private static Path workDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return null;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".work")).findFirst().orElse(null);
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }

    private static List<String> verifyDatabases() throws Exception {
        List<String> names = new ArrayList<>();
        try (Connection c = server.connectAdmin(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select datname from pg_database where datname like 'dbtool_verify%'")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        return names;
    }
}
