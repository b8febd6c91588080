package dbtool.backup;

import java.net.URI;
import java.time.Duration;

/**
 * Where to report one outcome ({@code notify.on_success} or {@code notify.on_failure}): a shell command, a URL to POST
 * JSON to, or both. Either may be null.
 *
 * @param timeout applies to the command and to the POST separately; null means {@link #DEFAULT_TIMEOUT}
 */
public record NotifyTarget(String command, URI url, Duration timeout) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    public NotifyTarget {
        if (command != null && command.isBlank()) {
            command = null;
        }
        if (url != null && !("http".equalsIgnoreCase(url.getScheme()) || "https".equalsIgnoreCase(url.getScheme()))) {
            throw new IllegalArgumentException("notify url must be http:// or https://, got " + url);
        }
        if (timeout == null) {
            timeout = DEFAULT_TIMEOUT;
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("notify timeout must be positive, got " + timeout);
        }
    }

    public NotifyTarget(String command, URI url) {
        this(command, url, null);
    }

    public boolean isEmpty() {
        return command == null && url == null;
    }
}
