package dbtool.backup;

import dbtool.DbToolException;
import dbtool.ExitCode;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import dbtool.storage.ArchiveStore;

/**
 * A project's lock in a bucket: the object {@code <prefix>/<project>.lock}, created only if absent (S3's
 * {@code If-None-Match: *}), so of two hosts that back up the same project at once exactly one gets it.
 *
 * <p>Object stores have no kernel that drops the lock when its holder dies, so the lock is a lease: it names its
 * holder (host, pid, start) and an expiry, renewed every {@link #RENEW} while the run lasts. A lock past its expiry
 * was left by a run that died (kill -9, a lost host) and is taken over with a warning; so is one whose holder is a
 * process of this very host that no longer exists. An orderly end (also Ctrl-C, SIGTERM) deletes the object.
 */
public final class BucketLock implements RunLock {

    static final Duration LEASE = Duration.ofMinutes(5);
    static final Duration RENEW = Duration.ofMinutes(1);

    private final ArchiveStore store;
    private final String name;
    private final ProjectLock.Holder holder;
    private final String token;
    private final ProjectLock.Holder staleHolder;
    private final ScheduledExecutorService renewer;
    private final Thread releaseOnShutdown = new Thread(this::release, "dbtool-lock-release");
    private boolean released;

    private BucketLock(ArchiveStore store, String name, ProjectLock.Holder holder, String token,
            ProjectLock.Holder staleHolder) {
        this.store = store;
        this.name = name;
        this.holder = holder;
        this.token = token;
        this.staleHolder = staleHolder;
        this.renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dbtool-lock-renew");
            t.setDaemon(true);
            return t;
        });
        renewer.scheduleAtFixedRate(this::renew, RENEW.toSeconds(), RENEW.toSeconds(), TimeUnit.SECONDS);
        Runtime.getRuntime().addShutdownHook(releaseOnShutdown);
    }

    /** What the lock object says. */
    record Content(ProjectLock.Holder holder, Instant expires, String token) {

        String text() {
            return "pid=" + holder.pid() + "\nhost=" + holder.host() + "\nstarted=" + holder.startedAt()
                    + "\nexpires=" + expires + "\ntoken=" + token + "\n";
        }

        static Content parse(String text) {
            Instant expires = null;
            String token = null;
            for (String line : text.split("\n")) {
                try {
                    if (line.startsWith("expires=")) {
                        expires = Instant.parse(line.substring("expires=".length()).strip());
                    } else if (line.startsWith("token=")) {
                        token = line.substring("token=".length()).strip();
                    }
                } catch (DateTimeParseException ignored) {
                    // no expiry: treated as expired, see isStale
                }
            }
            return new Content(ProjectLock.Holder.parse(text).orElse(new ProjectLock.Holder(-1, null, null)), expires, token);
        }

        /** Past its expiry (or without one), or held by a process of this host that is gone. */
        boolean isStale(Instant now, String thisHost) {
            if (expires == null || expires.isBefore(now)) {
                return true;
            }
            return thisHost.equals(holder.host()) && holder.pid() > 0 && holder.pid() != ProcessHandle.current().pid()
                    && ProcessHandle.of(holder.pid()).map(p -> !p.isAlive()).orElse(true);
        }
    }

    public static BucketLock acquire(ArchiveStore store, String project) {
        String name = BackupDirectory.requireValidProject(project) + ".lock";
        String host = ProjectLock.hostName();
        ProjectLock.Holder me = new ProjectLock.Holder(ProcessHandle.current().pid(), host,
                Instant.now().truncatedTo(ChronoUnit.SECONDS));
        byte[] random = new byte[12];
        new SecureRandom().nextBytes(random);
        String token = HexFormat.of().formatHex(random);
        ProjectLock.Holder stale = null;
        try {
            // Twice at most: once more after removing a stale lock. Losing that race to another taker is "held".
            for (int attempt = 0; attempt < 2; attempt++) {
                Instant now = Instant.now();
                if (store.createText(name, new Content(me, now.plus(LEASE), token).text())) {
                    return new BucketLock(store, name, me, token, stale);
                }
                Optional<String> existing = store.readText(name);
                if (existing.isEmpty()) {
                    continue; // released meanwhile
                }
                Content current = Content.parse(existing.get());
                if (!current.isStale(now, host)) {
                    throw held(project, store.locationOf(name), current);
                }
                stale = current.holder();
                store.delete(name);
            }
            throw held(project, store.locationOf(name), store.readText(name).map(Content::parse).orElse(null));
        } catch (IOException e) {
            throw DbToolException.runtime("cannot lock " + store.locationOf(name) + ": " + e.getMessage(), e);
        }
    }

    private static DbToolException held(String project, String location, Content current) {
        String who = current == null ? "holder unknown" : current.holder().describe();
        String until = current == null || current.expires() == null ? "" : ", lease until " + current.expires();
        return new DbToolException(ExitCode.LOCKED, "another backup of project '" + project + "' is running (" + who
                + until + "); lock object " + location + ". Wait for it to finish; if that run is gone, the next run"
                + " takes the lock over once its lease has expired.");
    }

    @Override
    public Optional<ProjectLock.Holder> takenOverFrom() {
        return Optional.ofNullable(staleHolder);
    }

    public ProjectLock.Holder holder() {
        return holder;
    }

    /** Extends the lease while the object is still ours; a run that lost it (a long pause) stops renewing. */
    private synchronized void renew() {
        if (released) {
            return;
        }
        try {
            Optional<String> current = store.readText(name);
            if (current.isPresent() && token.equals(Content.parse(current.get()).token())) {
                store.writeText(name, new Content(holder, Instant.now().plus(LEASE), token).text());
            }
        } catch (IOException | RuntimeException e) {
            // Retried at the next tick; the lease is long enough for several misses.
        }
    }

    /** Deletes the object if it is still ours. Idempotent. */
    private synchronized void release() {
        if (released) {
            return;
        }
        released = true;
        renewer.shutdownNow();
        try {
            Optional<String> current = store.readText(name);
            if (current.isPresent() && token.equals(Content.parse(current.get()).token())) {
                store.delete(name);
            }
        } catch (IOException | RuntimeException e) {
            // The lease expires by itself.
        }
    }

    @Override
    public void close() {
        release();
        try {
            Runtime.getRuntime().removeShutdownHook(releaseOnShutdown);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook is running or ran
        }
    }
}
