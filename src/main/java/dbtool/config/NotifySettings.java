package dbtool.config;

import java.net.URI;
import java.time.Duration;

/** The {@code notify:} block: what to run or ping after a backup. Either side may be null. */
public record NotifySettings(Hook onFailure, Hook onSuccess) {

    /** A command run through /bin/sh and/or a URL that receives a small JSON POST. */
    public record Hook(String command, URI url, Duration timeout) {}
}
