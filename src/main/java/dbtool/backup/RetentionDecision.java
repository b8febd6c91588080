package dbtool.backup;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outcome of a {@link RetentionPolicy}: both lists newest first; {@code reasons} names, for each kept archive,
 * the rules that kept it ("last", "daily", "weekly", "monthly" or {@link RetentionPolicy#REASON_NEWEST}).
 */
public record RetentionDecision(List<BackupFile> keep, List<BackupFile> remove, Map<String, List<String>> reasons) {
    public RetentionDecision {
        keep = List.copyOf(keep);
        remove = List.copyOf(remove);
        // Map.copyOf would lose the newest-first order that `backups list` prints.
        reasons = Collections.unmodifiableMap(new LinkedHashMap<>(reasons));
    }

    public List<String> reasonsFor(BackupFile file) {
        return reasons.getOrDefault(file.path(), List.of());
    }
}
