package dbtool.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.config.DriftSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Drift rules, the pre-drift retention guard, the run history file and the metrics file format. */
class BackupHealthTest {

    @TempDir
    Path dir;

    @Test
    void aDropOfMoreThanMaxDropOrAMissingTableIsADriftGrowthAndSmallTablesAreNot() {
        Map<String, Long> before = Map.of("public.orders", 10_000L, "public.users", 5_000L, "public.gone", 2_000L,
                "public.tiny", 999L, "public.edge", 1_000L, "public.grows", 1_000L);
        Map<String, Long> after = Map.of("public.orders", 7_999L, "public.users", 4_000L, "public.tiny", 0L,
                "public.edge", 799L, "public.grows", 50_000L, "public.new", 1L);
        List<TableDrift> drift = TableDrift.between(before, after, DriftSettings.DEFAULT);
        assertThat(drift).containsExactly(new TableDrift("public.edge", 1000, 799L),
                new TableDrift("public.gone", 2000, null), new TableDrift("public.orders", 10_000, 7_999L));
        assertThat(drift.get(1).describe()).isEqualTo("public.gone 2000 -> gone (table missing)");
        assertThat(drift.get(2).describe()).isEqualTo("public.orders 10000 -> 7999 rows (-20.0%)");
        assertThat(TableDrift.between(before, after, DriftSettings.OFF)).isEmpty();
        assertThat(TableDrift.between(before, after, new DriftSettings(true, 50, 10))).containsExactly(
                new TableDrift("public.gone", 2000, null), new TableDrift("public.tiny", 999, 0L));
    }

    private static BackupFile archive(String stamp) {
        return new BackupFile("/b/shop-" + stamp + ".tar.gz", "shop", BackupDirectory.parseStamp(stamp), 1, false);
    }

    private static RunHistory.Entry entry(String stamp, boolean drift) {
        return new RunHistory.Entry(Instant.EPOCH, drift ? 7 : 0, null, "shop-" + stamp + ".tar.gz", 1, 1, false, 1,
                drift ? List.of(new TableDrift("public.t", 5000, 1L)) : List.of(), Map.of("public.t", 1L));
    }

    @Test
    void theArchiveBeforeADriftIsKeptUntilANewerBackupWithoutDriftExists() {
        List<BackupFile> newestFirst = List.of(archive("20250105T000000Z"), archive("20250104T000000Z"),
                archive("20250103T000000Z"), archive("20250102T000000Z"), archive("20250101T000000Z"));
        // 03 and 04 drifted (a second drop the night after the first): 02 and 03 are the archives before a drift.
        List<RunHistory.Entry> streak = List.of(entry("20250104T000000Z", true), entry("20250103T000000Z", true));
        assertThat(BackupRun.beforeDrift(newestFirst.subList(1, 5), streak))
                .containsExactlyInAnyOrder(newestFirst.get(2).fileName(), newestFirst.get(3).fileName());
        // 05 is a newer backup without drift: nothing is held any more.
        assertThat(BackupRun.beforeDrift(newestFirst, streak)).isEmpty();
        assertThat(BackupRun.beforeDrift(newestFirst.subList(4, 5), List.of(entry("20250101T000000Z", true))))
                .as("nothing before the oldest").isEmpty();
    }

    @Test
    void historySkipsATornLastLineAndFindsTablesAndDriftByArchiveName() throws IOException {
        RunHistory history = new RunHistory(dir, "shop");
        history.append(entry("20250101T000000Z", false));
        history.append(new RunHistory.Entry(Instant.parse("2025-01-02T00:00:00Z"), 1, "pg_dump failed", null, 0, 0,
                false, 5, List.of(), null));
        history.append(entry("20250103T000000Z", true));
        Files.writeString(history.file(), "{\"finished_at\":\"2025-01-0", java.nio.file.StandardOpenOption.APPEND);
        List<RunHistory.Entry> entries = history.entries();
        assertThat(entries).hasSize(3);
        assertThat(entries.get(1).error()).isEqualTo("pg_dump failed");
        assertThat(entries.get(1).wroteArchive()).isFalse();
        assertThat(RunHistory.driftOf(archive("20250103T000000Z"), entries)).hasSize(1);
        assertThat(RunHistory.driftOf(archive("20250101T000000Z"), entries)).isEmpty();
        BackupDirectory backups = new BackupDirectory(dir, "shop");
        assertThat(RunHistory.tablesOf(backups, archive("20250101T000000Z"), entries)).contains(Map.of("public.t", 1L));
        assertThat(RunHistory.tablesOf(backups, archive("20250109T000000Z"), entries)).as("no entry, no file").isEmpty();
        assertThat(Files.getPosixFilePermissions(history.file())).hasSize(2);
    }

    /**
     * Past its bound the history is rewritten with the newest runs, plus older runs whose archive still exists (their
     * rows and drift are still read); a torn line goes, the file stays owner-only and no temporary file is left.
     */
    @Test
    void historyKeepsTheNewestRunsAndThoseOfArchivesStillThere() throws IOException {
        RunHistory history = new RunHistory(dir, "shop");
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<String> lines = new java.util.ArrayList<>();
        Instant first = Instant.parse("2024-01-01T00:00:00Z");
        for (int i = 0; i < RunHistory.MAX_RUNS + RunHistory.SLACK; i++) {
            String stamp = BackupDirectory.formatStamp(first.plusSeconds(3600L * i));
            lines.add(json.writeValueAsString(new RunHistory.Entry(first.plusSeconds(3600L * i), i == 3 ? 7 : 0, null,
                    "shop-" + stamp + ".tar.gz", 1, 1, false, 1,
                    i == 3 ? List.of(new TableDrift("public.t", 5000, 1L)) : List.of(), Map.of("public.t", (long) i))));
        }
        lines.add(5, "{\"finished_at\":\"2024-0");
        Files.write(history.file(), lines);
        String kept = "shop-" + BackupDirectory.formatStamp(first.plusSeconds(3600L * 3)) + ".tar.gz";
        Files.writeString(dir.resolve(kept), "archive");
        Files.writeString(dir.resolve(kept + BackupDirectory.SIDECAR_SUFFIX), "sum");
        assertThat(history.entries()).hasSize(RunHistory.MAX_RUNS + RunHistory.SLACK);

        history.append(entry("20990101T000000Z", false));
        List<RunHistory.Entry> entries = history.entries();
        assertThat(entries).hasSize(RunHistory.MAX_RUNS + 1);
        assertThat(entries.get(0).archive()).as("the run of an archive still there").isEqualTo(kept);
        assertThat(entries.get(0).drift()).hasSize(1);
        assertThat(entries.get(1).tables()).as("then the newest runs").isEqualTo(
                Map.of("public.t", (long) RunHistory.SLACK + 1));
        assertThat(entries.get(entries.size() - 1).archive()).isEqualTo("shop-20990101T000000Z.tar.gz");
        assertThat(Files.readAllLines(history.file())).hasSize(RunHistory.MAX_RUNS + 1);
        assertThat(Files.getPosixFilePermissions(history.file())).hasSize(2);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
                    history.file().getFileName().toString(), kept, kept + BackupDirectory.SIDECAR_SUFFIX);
        }
    }

    @Test
    void metricsFileKeepsOtherProjectsAndHasOneHelpAndTypePerMetric() throws IOException {
        Path file = dir.resolve("textfile/dbtool.prom");
        Map<BackupMetrics.Metric, Double> a = Map.of(BackupMetrics.Metric.LAST_EXIT_CODE, 0.0,
                BackupMetrics.Metric.DURATION, 12.5);
        BackupMetrics.write(file, "alpha", a);
        BackupMetrics.write(file, "beta", Map.of(BackupMetrics.Metric.LAST_EXIT_CODE, 1.0,
                BackupMetrics.Metric.DURATION, 3.0));
        BackupMetrics.write(file, "alpha", Map.of(BackupMetrics.Metric.LAST_EXIT_CODE, 7.0,
                BackupMetrics.Metric.DURATION, 1.25));
        assertThat(Files.readString(file)).isEqualTo("""
                # HELP dbtool_backup_last_exit_code Exit code of the last backup run (0 ok, 7 rows dropped sharply, others failed).
                # TYPE dbtool_backup_last_exit_code gauge
                dbtool_backup_last_exit_code{project="alpha"} 7
                dbtool_backup_last_exit_code{project="beta"} 1
                # HELP dbtool_backup_duration_seconds How long the last backup run took.
                # TYPE dbtool_backup_duration_seconds gauge
                dbtool_backup_duration_seconds{project="alpha"} 1.250
                dbtool_backup_duration_seconds{project="beta"} 3
                """);
        try (var files = Files.list(file.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("dbtool.prom",
                    "dbtool.prom.lock");
        }
    }
}
