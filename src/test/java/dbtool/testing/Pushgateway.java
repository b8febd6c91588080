package dbtool.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * A real Prometheus Pushgateway for tests (Debian's {@code prometheus-pushgateway}) on 127.0.0.1 and a free port,
 * started per test and stopped with {@link #close()}.
 */
public final class Pushgateway implements AutoCloseable {

    public static final Path BINARY = Path.of("/usr/bin/prometheus-pushgateway");

    private final Process process;
    private final String base;
    private final HttpClient http = HttpClient.newHttpClient();

    private Pushgateway(Process process, String base) {
        this.process = process;
        this.base = base;
    }

    public static boolean installed() {
        return Files.isExecutable(BINARY);
    }

    /** Starts one and waits until it answers ready (or dies, or a minute passes: then it throws). */
    public static Pushgateway start(Path logDir) throws IOException, InterruptedException {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Path log = logDir.resolve("pushgateway.log");
        Process process = new ProcessBuilder(BINARY.toString(), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Pushgateway gateway = new Pushgateway(process, "http://127.0.0.1:" + port);
        Instant deadline = Instant.now().plus(Duration.ofMinutes(1));
        while (!gateway.ready()) {
            if (!process.isAlive() || Instant.now().isAfter(deadline)) {
                gateway.close();
                throw new IllegalStateException("pushgateway did not become ready: " + Files.readString(log));
            }
            process.waitFor(50, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        return gateway;
    }

    /** The base URL, as backup.pushgateway takes it. */
    public String url() {
        return base;
    }

    /** What Prometheus would scrape from it. */
    public String scrape() throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private boolean ready() throws InterruptedException {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(base + "/-/ready")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException notYet) {
            return false;
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
