package dbtool.backup;

import dbtool.DbToolException;
import dbtool.ExitCode;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * Grandfather-father-son retention with the semantics of restic's {@code forget --keep-last/-daily/-weekly/-monthly}
 * (restic {@code internal/restic/snapshot_policy.go}, {@code ApplyPolicy}): archives are walked newest first; each
 * rule keeps an archive when it is the first one seen in a new bucket (every archive for keep_last, a UTC day, an ISO
 * week, a month) until its count is used up; an archive is kept if any rule keeps it. Like restic, a rule that still
 * has count left when it reaches the oldest archive keeps that one too, even if its bucket was already seen, so that
 * the history reaches back as far as possible.
 *
 * <p>A count of 0 keeps nothing for that rule; with every count 0 (no rule set) nothing is deleted at all, as restic
 * refuses to forget without a policy. The newest archive is always kept, so a misconfigured policy can never delete
 * the last good backup. Migration safety snapshots are not backups: they are always kept and count for no rule.
 * Buckets are computed in UTC (restic uses each snapshot's local time), matching the UTC stamps in file names.
 */
public record RetentionPolicy(int keepLast, int keepDaily, int keepWeekly, int keepMonthly) {
    public static final String REASON_NEWEST = "newest archive (always kept)";
    public static final String REASON_SNAPSHOT = "migration safety snapshot (retention never deletes it)";
    public static final String REASON_NO_POLICY = "no retention policy set";

    public RetentionPolicy {
        requireNotNegative("keep_last", keepLast);
        requireNotNegative("keep_daily", keepDaily);
        requireNotNegative("keep_weekly", keepWeekly);
        requireNotNegative("keep_monthly", keepMonthly);
    }

    private static void requireNotNegative(String name, int value) {
        if (value < 0) {
            throw new DbToolException(ExitCode.USAGE, "retention." + name + " must be 0 or more, got " + value);
        }
    }

    /** Whether any rule is set. Without one nothing is deleted, as restic's forget refuses to run without a policy. */
    public boolean isSet() {
        return keepLast > 0 || keepDaily > 0 || keepWeekly > 0 || keepMonthly > 0;
    }

    /**
     * @param archives one project's complete archives, in any order (they are sorted newest first here). Safety
     *     snapshots are always kept and take no rule's place; with no rule set everything is kept.
     */
    public RetentionDecision apply(List<BackupFile> archives) {
        List<BackupFile> sorted = new ArrayList<>(archives);
        sorted.sort(BackupDirectory.NEWEST_FIRST);
        List<BackupFile> keep = new ArrayList<>();
        Map<String, List<String>> reasons = new LinkedHashMap<>();
        for (BackupFile snapshot : sorted.stream().filter(BackupFile::snapshot).toList()) {
            keep.add(snapshot);
            reasons.put(snapshot.path(), List.of(REASON_SNAPSHOT));
        }
        sorted.removeIf(BackupFile::snapshot);
        if (!isSet()) {
            for (BackupFile file : sorted) {
                keep.add(file);
                reasons.put(file.path(), List.of(REASON_NO_POLICY));
            }
            keep.sort(BackupDirectory.NEWEST_FIRST);
            return new RetentionDecision(keep, List.of(), reasons);
        }

        List<Bucket> buckets = List.of(
                new Bucket("last", keepLast, null),
                new Bucket("daily", keepDaily, RetentionPolicy::day),
                new Bucket("weekly", keepWeekly, RetentionPolicy::isoWeek),
                new Bucket("monthly", keepMonthly, RetentionPolicy::month));

        List<BackupFile> remove = new ArrayList<>();
        for (int nr = 0; nr < sorted.size(); nr++) {
            BackupFile current = sorted.get(nr);
            boolean oldest = nr == sorted.size() - 1;
            List<String> why = new ArrayList<>();
            for (Bucket bucket : buckets) {
                // keep_last gives every archive its own bucket, like restic's always(): the position is unique.
                long key = bucket.key == null ? nr : bucket.key.applyAsLong(current);
                if (bucket.remaining > 0 && (!bucket.seenAny || key != bucket.last || oldest)) {
                    bucket.seenAny = true;
                    bucket.last = key;
                    bucket.remaining--;
                    why.add(bucket.name);
                }
            }
            if (why.isEmpty() && nr == 0) {
                why.add(REASON_NEWEST);
            }
            if (why.isEmpty()) {
                remove.add(current);
            } else {
                keep.add(current);
                reasons.put(current.path(), List.copyOf(why));
            }
        }
        keep.sort(BackupDirectory.NEWEST_FIRST);
        return new RetentionDecision(keep, remove, reasons);
    }

    private static ZonedDateTime utc(BackupFile f) {
        return f.createdAt().atZone(ZoneOffset.UTC);
    }

    private static long day(BackupFile f) {
        ZonedDateTime t = utc(f);
        return t.getYear() * 10_000L + t.getMonthValue() * 100L + t.getDayOfMonth();
    }

    /** ISO week with its week-based year: 2024-12-30 is in week 1 of 2025, like Go's ISOWeek(). */
    private static long isoWeek(BackupFile f) {
        ZonedDateTime t = utc(f);
        return t.get(IsoFields.WEEK_BASED_YEAR) * 100L + t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
    }

    private static long month(BackupFile f) {
        ZonedDateTime t = utc(f);
        return t.getYear() * 100L + t.getMonthValue();
    }

    /** Per-call counting state of one rule; never shared between calls. */
    private static final class Bucket {
        final String name;
        final ToLongFunction<BackupFile> key;
        int remaining;
        boolean seenAny;
        long last;

        Bucket(String name, int count, ToLongFunction<BackupFile> key) {
            this.name = name;
            this.remaining = count;
            this.key = key;
        }
    }
}
