package dbtool.config;

import java.net.URI;
import java.time.Duration;

/**
 * The {@code notify:} block: what to run or ping after a backup. Any hook may be null. {@code onWarning} fires
 * when the backup was written but its rows dropped sharply (a drift).
 */
public record NotifySettings(Hook onFailure, Hook onSuccess, Hook onWarning) {

    /** A command run through /bin/sh and/or a URL that receives a small JSON POST. */
    public record Hook(String command, URI url, Duration timeout) {}
}
