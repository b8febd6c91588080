package dbtool.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dbtool.ExitCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class NotifierTest {
    @TempDir
    Path tmp;

    private final Notifier notifier = new Notifier();
    private HttpServer server;

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.stop(0);
        }
    }

    private static final BackupEvent SUCCESS =
            BackupEvent.success("shop", "/backups/shop-20250421T190000Z.tar.gz", "backup done: 12 MB");

    @Test
    void commandReceivesTheEventInItsEnvironment() throws IOException {
        Path out = tmp.resolve("env.txt");
        String command = "printf '%s|%s|%s|%s' \"$DBTOOL_PROJECT\" \"$DBTOOL_STATUS\" \"$DBTOOL_MESSAGE\" \"$DBTOOL_ARCHIVE\" > '"
                + out + "'";

        NotifyResult result = notifier.notify(new NotifyTarget(command, null), SUCCESS);

        assertThat(result.ok()).as(result.failures().toString()).isTrue();
        assertThat(Files.readString(out))
                .isEqualTo("shop|success|backup done: 12 MB|/backups/shop-20250421T190000Z.tar.gz");
    }

    @Test
    void failingCommandIsReportedWithItsOutput() {
        NotifyResult result = notifier.notify(new NotifyTarget("echo 'no route to chat' >&2; exit 3", null),
                BackupEvent.failure("shop", ExitCode.RUNTIME, "pg_dump failed"));

        assertThat(result.ok()).isFalse();
        assertThat(result.failures()).singleElement().asString()
                .contains("exited with status 3").contains("no route to chat");
    }

    @Test
    void hangingCommandIsKilledAtTheTimeout() throws IOException {
        Path pidFile = tmp.resolve("pid");
        // The sleep is a child of the shell, so killing only the shell would leave it running.
        String command = "sleep 60 & echo $! > '" + pidFile + "'; wait";
        long start = System.nanoTime();

        NotifyResult result = notifier.notify(new NotifyTarget(command, null, Duration.ofMillis(500)), SUCCESS);

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(result.failures()).singleElement().asString().contains("did not finish within 500 ms");
        long sleepPid = Long.parseLong(Files.readString(pidFile).trim());
        ProcessHandle.of(sleepPid).ifPresent(p -> {
            p.onExit().orTimeout(5, TimeUnit.SECONDS).join();
            assertThat(p.isAlive()).isFalse();
        });
    }

    @Test
    void postsTheJsonBodyToTheUrl() throws Exception {
        CompletableFuture<String> received = new CompletableFuture<>();
        CompletableFuture<String> contentType = new CompletableFuture<>();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/hook", exchange -> {
            contentType.complete(exchange.getRequestHeaders().getFirst("Content-Type"));
            received.complete(exchange.getRequestMethod() + " "
                    + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();

        NotifyResult result = notifier.notify(new NotifyTarget(null, hookUrl()),
                BackupEvent.failure("shop", ExitCode.LOCKED, "another backup is running"));

        assertThat(result.ok()).as(result.failures().toString()).isTrue();
        String request = received.get(5, TimeUnit.SECONDS);
        assertThat(request).startsWith("POST ");
        JsonNode body = new ObjectMapper().readTree(request.substring("POST ".length()));
        assertThat(body.get("project").asText()).isEqualTo("shop");
        assertThat(body.get("status").asText()).isEqualTo("failure");
        assertThat(body.get("message").asText()).isEqualTo("another backup is running");
        assertThat(body.get("archive").isNull()).isTrue();
        assertThat(body.get("exit_code").asInt()).isEqualTo(5);
        assertThat(contentType.get(5, TimeUnit.SECONDS)).isEqualTo("application/json");
    }

    @Test
    void errorStatusIsAFailedResult() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/hook", exchange -> {
            exchange.getRequestBody().readAllBytes();
            byte[] answer = "bad token".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(401, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();

        NotifyResult result = notifier.notify(new NotifyTarget(null, hookUrl()), SUCCESS);

        assertThat(result.failures()).singleElement().asString().contains("HTTP 401").contains("bad token");
    }

    @Test
    void hangingServerIsAbandonedAtTheTimeout() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/hook", exchange -> {
            try {
                Thread.sleep(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r);
            t.setDaemon(true);
            return t;
        }));
        server.start();
        long start = System.nanoTime();

        NotifyResult result = notifier.notify(new NotifyTarget(null, hookUrl(), Duration.ofMillis(500)), SUCCESS);

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(result.failures()).singleElement().asString().contains("did not finish within 500 ms");
    }

    @Test
    void unreachableUrlIsAFailedResultNotAnException() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }

        NotifyResult result = notifier.notify(
                new NotifyTarget(null, URI.create("http://127.0.0.1:" + closedPort + "/hook"), Duration.ofSeconds(2)),
                SUCCESS);

        assertThat(result.ok()).isFalse();
        assertThat(result.failures()).singleElement().asString().contains("127.0.0.1:" + closedPort);
    }

    @Test
    void commandAndUrlFailuresAreBothReported() {
        NotifyResult result = notifier.notify(
                new NotifyTarget("exit 1", URI.create("http://127.0.0.1:1/hook"), Duration.ofSeconds(2)), SUCCESS);

        assertThat(result.failures()).hasSize(2);
    }

    @Test
    void emptyTargetDoesNothing() {
        assertThat(notifier.notify(new NotifyTarget(null, null), SUCCESS).ok()).isTrue();
        assertThat(notifier.notify(null, SUCCESS).ok()).isTrue();
    }

    private URI hookUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hook");
    }

    @Test
    void driftWarningIsSentAsStatusWarningWithExitCodeSeven() throws IOException {
        BackupEvent drift = BackupEvent.warning("shop", "/backups/shop-20250421T190000Z.tar.gz",
                "rows dropped sharply: public.orders 10000 -> 5000 rows (-50.0%)");
        assertThat(new String(notifier.body(drift), java.nio.charset.StandardCharsets.UTF_8))
                .contains("\"status\":\"warning\"", "\"exit_code\":7", "public.orders 10000 -> 5000");
        Path out = tmp.resolve("env.txt");
        NotifyResult result = notifier.notify(new NotifyTarget("printf '%s|%s' \"$DBTOOL_STATUS\" \"$DBTOOL_EXIT_CODE\" > '"
                + out + "'", null), drift);
        assertThat(result.ok()).as(result.failures().toString()).isTrue();
        assertThat(Files.readString(out)).isEqualTo("warning|7");
    }
}
