package dbtool.backup;

import dbtool.DbToolException;
import dbtool.ExitCode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RetentionPolicyTest {

    private static BackupFile archive(String stamp) {
        return new BackupFile("/backups/shop-" + stamp + ".tar.gz", "shop",
                BackupDirectory.parseStamp(stamp), 1, false);
    }

    private static List<BackupFile> archives(String... stamps) {
        List<BackupFile> list = new ArrayList<>();
        for (String s : stamps) {
            list.add(archive(s));
        }
        return list;
    }

    private static List<String> stamps(List<BackupFile> files) {
        return files.stream().map(f -> BackupDirectory.formatStamp(f.createdAt())).toList();
    }

    /*
     * 40 archives, Dec 2024 to Apr 2025, several per day. Weeks are ISO weeks: 2024-12-30 (Mon) starts week 1 of
     * 2025, so Dec 30 .. Jan 5 is one week although it spans two years.
     */
    private static final String[] FORTY = {
            "20241202T010000Z", "20241202T130000Z",                     // Mon 2024-W49
            "20241215T020000Z",                                         // Sun 2024-W50
            "20241230T010000Z", "20241231T235959Z",                     // 2025-W01 (in December)
            "20250101T000000Z", "20250105T120000Z",                     // 2025-W01
            "20250106T010000Z",                                         // W02
            "20250120T010000Z",                                         // W04
            "20250131T230000Z", "20250201T010000Z",                     // W05, across a month end
            "20250214T010000Z", "20250214T020000Z",                     // W07
            "20250228T220000Z",                                         // W09
            "20250303T010000Z", "20250317T010000Z",                     // W10, W12
            "20250331T010000Z", "20250331T120000Z",                     // W14 (Mon)
            "20250401T010000Z", "20250405T010000Z",                     // W14
            "20250408T010000Z", "20250408T130000Z", "20250410T010000Z", "20250413T230000Z", // W15
            "20250414T000500Z", "20250414T010000Z",                     // W16 Mon
            "20250415T010000Z", "20250415T090000Z", "20250415T170000Z", // Tue
            "20250416T010000Z", "20250417T010000Z", "20250417T130000Z", // Wed, Thu
            "20250418T010000Z", "20250419T010000Z",                     // Fri, Sat
            "20250420T010000Z", "20250420T130000Z",                     // Sun
            "20250421T010000Z", "20250421T070000Z", "20250421T130000Z", "20250421T190000Z", // Mon W17
    };

    @Test
    void gfsKeepsExactlyWhatResticWould() {
        assertThat(FORTY).hasSize(40);
        List<BackupFile> input = archives(FORTY);
        Collections.shuffle(input); // apply() must not depend on the caller's order

        RetentionDecision d = new RetentionPolicy(3, 7, 4, 6).apply(input);

        // Worked out by hand, newest first:
        // last 3:    Apr21 19:00, 13:00, 07:00
        // daily 7:   Apr21 19:00, Apr20 13:00, Apr19, Apr18, Apr17 13:00, Apr16, Apr15 17:00
        // weekly 4:  Apr21 19:00 (W17), Apr20 13:00 (W16), Apr13 23:00 (W15), Apr05 (W14)
        // monthly 6: Apr21 19:00, Mar31 12:00, Feb28 22:00, Jan31 23:00, Dec31 23:59:59, and - one count still
        //            left when the oldest archive is reached - Dec02 01:00 (restic keeps the oldest then)
        assertThat(stamps(d.keep())).containsExactly(
                "20250421T190000Z", "20250421T130000Z", "20250421T070000Z",
                "20250420T130000Z", "20250419T010000Z", "20250418T010000Z", "20250417T130000Z",
                "20250416T010000Z", "20250415T170000Z",
                "20250413T230000Z", "20250405T010000Z",
                "20250331T120000Z", "20250228T220000Z", "20250131T230000Z", "20241231T235959Z",
                "20241202T010000Z");
        assertThat(d.remove()).hasSize(24);
        assertThat(stamps(d.remove())).startsWith("20250421T010000Z", "20250420T010000Z")
                .endsWith("20241215T020000Z", "20241202T130000Z");

        assertThat(d.reasonsFor(archive("20250421T190000Z"))).containsExactly("last", "daily", "weekly", "monthly");
        assertThat(d.reasonsFor(archive("20250420T130000Z"))).containsExactly("daily", "weekly");
        assertThat(d.reasonsFor(archive("20241202T010000Z"))).containsExactly("monthly");
        assertThat(d.reasons()).hasSize(16);
    }

    @Test
    void keepLastTwoOfThreeKeepsTheTwoNewest() {
        RetentionDecision d = new RetentionPolicy(2, 0, 0, 0)
                .apply(archives("20250101T000000Z", "20250103T000000Z", "20250102T000000Z"));

        assertThat(stamps(d.keep())).containsExactly("20250103T000000Z", "20250102T000000Z");
        assertThat(stamps(d.remove())).containsExactly("20250101T000000Z");
    }

    /** No keep_* rule at all is no policy: nothing is deleted (restic's forget refuses to run without one). */
    @Test
    void noRuleSetDeletesNothing() {
        RetentionPolicy none = new RetentionPolicy(0, 0, 0, 0);
        RetentionDecision d = none.apply(archives("20250101T000000Z", "20250301T000000Z", "20250201T000000Z"));

        assertThat(none.isSet()).isFalse();
        assertThat(stamps(d.keep())).containsExactly("20250301T000000Z", "20250201T000000Z", "20250101T000000Z");
        assertThat(d.remove()).isEmpty();
        assertThat(d.reasonsFor(d.keep().get(2))).containsExactly(RetentionPolicy.REASON_NO_POLICY);
    }

    /** A migration's safety snapshot is not a backup: never removed, and it takes no rule's place. */
    @Test
    void aSafetySnapshotIsNeverRemovedAndCountsForNoRule() {
        BackupFile snapshot = new BackupFile("/backups/shop-20250102T000000Z.snapshot.tar.gz", "shop",
                BackupDirectory.parseStamp("20250102T000000Z"), 1, false, true);
        List<BackupFile> all = archives("20250101T000000Z", "20250101T120000Z");
        all.add(snapshot);
        RetentionDecision d = new RetentionPolicy(1, 0, 0, 0).apply(all);

        assertThat(d.keep()).containsExactly(snapshot, archive("20250101T120000Z"));
        assertThat(d.reasonsFor(snapshot)).containsExactly(RetentionPolicy.REASON_SNAPSHOT);
        assertThat(d.reasonsFor(archive("20250101T120000Z"))).containsExactly("last");
        assertThat(stamps(d.remove())).containsExactly("20250101T000000Z");
    }

    @Test
    void countLeftAtTheOldestKeepsTheOldestEvenInASeenBucket() {
        // restic quirk (kept on purpose): daily 2 over three archives of one day keeps the newest and the oldest.
        RetentionDecision d = new RetentionPolicy(0, 2, 0, 0)
                .apply(archives("20250101T010000Z", "20250101T020000Z", "20250101T030000Z"));

        assertThat(stamps(d.keep())).containsExactly("20250101T030000Z", "20250101T010000Z");
    }

    @Test
    void daysAreUtcDays() {
        // 23:30Z and 00:30Z the next day are two UTC days, whatever the local zone says.
        RetentionDecision d = new RetentionPolicy(0, 2, 0, 0)
                .apply(archives("20250101T000000Z", "20250101T233000Z", "20250102T003000Z"));

        assertThat(stamps(d.keep())).containsExactly("20250102T003000Z", "20250101T233000Z");
    }

    @Test
    void emptyListDecidesNothing() {
        RetentionDecision d = new RetentionPolicy(1, 1, 1, 1).apply(List.of());
        assertThat(d.keep()).isEmpty();
        assertThat(d.remove()).isEmpty();
    }

    @Test
    void negativeCountIsAUsageError() {
        assertThatThrownBy(() -> new RetentionPolicy(0, -1, 0, 0))
                .isInstanceOfSatisfying(DbToolException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE))
                .hasMessageContaining("keep_daily");
    }
}
