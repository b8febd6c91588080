package dbtool.backup;

import java.util.List;

/**
 * How a notification went. Failures are for a warning line only: a notification never changes a backup's exit code.
 *
 * @param failures one line per channel (command, url) that failed, each saying what and why
 */
public record NotifyResult(List<String> failures) {
    public NotifyResult {
        failures = List.copyOf(failures);
    }

    public boolean ok() {
        return failures.isEmpty();
    }
}
