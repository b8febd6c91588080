package dbtool.backup;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Runs a {@link NotifyTarget}'s command and POSTs to its URL. Never throws and never blocks longer than the
 * target's timeout per channel: a broken notifier must not turn a good backup into a failed one, nor hang cron.
 */
public final class Notifier {
    /** How much of a failing command's output goes into the warning. */
    private static final int OUTPUT_TAIL_CHARS = 400;

    private final ObjectMapper json = new ObjectMapper();

    public NotifyResult notify(NotifyTarget target, BackupEvent event) {
        List<String> failures = new ArrayList<>();
        if (target == null || target.isEmpty()) {
            return new NotifyResult(failures);
        }
        if (target.command() != null) {
            guarded("notify command", () -> runCommand(target, event)).ifPresent(failures::add);
        }
        if (target.url() != null) {
            guarded("notify POST", () -> post(target, event)).ifPresent(failures::add);
        }
        return new NotifyResult(failures);
    }

    /** Keeps a bug in one channel from skipping the other or escaping to the caller. */
    private static Optional<String> guarded(String what, Supplier<Optional<String>> channel) {
        try {
            return channel.get();
        } catch (RuntimeException e) {
            return Optional.of(what + " failed unexpectedly: " + e);
        }
    }

    private Optional<String> runCommand(NotifyTarget target, BackupEvent event) {
        String what = "notify command '" + target.command() + "'";
        Path output = null;
        Process process = null;
        try {
            // A file instead of a pipe: a background child of the command may keep a pipe open forever.
            output = Files.createTempFile("dbtool-notify-", ".log");
            ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", target.command())
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    // The command must not read (and eat) dbtool's own stdin.
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            Map<String, String> env = builder.environment();
            env.put("DBTOOL_PROJECT", event.project());
            env.put("DBTOOL_STATUS", event.status().wireName());
            // The environment cannot carry NUL; a message is still worth sending without it.
            env.put("DBTOOL_MESSAGE", event.message().replace('\0', ' '));
            env.put("DBTOOL_ARCHIVE", event.archive() == null ? "" : event.archive().toString());
            env.put("DBTOOL_EXIT_CODE", Integer.toString(event.exitCode().code()));
            process = builder.start();
            if (!process.waitFor(target.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                killTree(process);
                return Optional.of(what + " did not finish within " + seconds(target) + " and was killed");
            }
            int status = process.exitValue();
            if (status != 0) {
                return Optional.of(what + " exited with status " + status + tail(output));
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of(what + " could not be started: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (process != null) {
                killTree(process);
            }
            return Optional.of(what + " was interrupted");
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // A stray file in the temp dir is not worth a warning.
                }
            }
        }
    }

    /** Children first: once the shell is dead its children are re-parented and can no longer be found. */
    private static void killTree(Process process) {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
        try {
            process.waitFor(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String tail(Path output) {
        try {
            String text = Files.readString(output, StandardCharsets.UTF_8).strip();
            if (text.isEmpty()) {
                return "";
            }
            if (text.length() > OUTPUT_TAIL_CHARS) {
                text = "..." + text.substring(text.length() - OUTPUT_TAIL_CHARS);
            }
            return ": " + text.replace('\n', ' ');
        } catch (IOException | UncheckedIOException e) {
            return "";
        }
    }

    private Optional<String> post(NotifyTarget target, BackupEvent event) {
        String what = "notify POST to " + target.url();
        CompletableFuture<HttpResponse<String>> response = null;
        try {
            HttpClient client = HttpClient.newBuilder()
                    .connectTimeout(target.timeout())
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .build();
            HttpRequest request = HttpRequest.newBuilder(target.url())
                    .timeout(target.timeout())
                    .header("Content-Type", "application/json")
                    .header("User-Agent", "dbtool")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body(event)))
                    .build();
            response = client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
            // The request timeout covers only the wait for headers; this bounds the body too.
            HttpResponse<String> r = response.get(target.timeout().toMillis(), TimeUnit.MILLISECONDS);
            if (r.statusCode() / 100 != 2) {
                String body = r.body() == null ? "" : r.body().strip();
                if (body.length() > OUTPUT_TAIL_CHARS) {
                    body = body.substring(0, OUTPUT_TAIL_CHARS) + "...";
                }
                return Optional.of(what + " answered HTTP " + r.statusCode() + (body.isEmpty() ? "" : ": " + body));
            }
            return Optional.empty();
        } catch (TimeoutException e) {
            response.cancel(true);
            return Optional.of(what + " did not finish within " + seconds(target));
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            String reason = cause instanceof HttpTimeoutException
                    ? "did not finish within " + seconds(target)
                    : "failed: " + cause;
            return Optional.of(what + " " + reason);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (response != null) {
                response.cancel(true);
            }
            return Optional.of(what + " was interrupted");
        } catch (IOException | IllegalArgumentException e) {
            return Optional.of(what + " failed: " + e);
        }
    }

    byte[] body(BackupEvent event) throws IOException {
        ObjectNode node = json.createObjectNode();
        node.put("project", event.project());
        node.put("status", event.status().wireName());
        node.put("message", event.message());
        node.put("archive", event.archive() == null ? null : event.archive().toString());
        node.put("exit_code", event.exitCode().code());
        return json.writeValueAsBytes(node);
    }

    private static String seconds(NotifyTarget target) {
        return target.timeout().toMillis() % 1000 == 0
                ? target.timeout().toSeconds() + " s"
                : target.timeout().toMillis() + " ms";
    }
}
