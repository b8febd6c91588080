package dbtool.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A real S3 API server for tests: s3proxy (Maven Central's jar-with-dependencies, copied into target/s3proxy by the
 * pom) in a subprocess on 127.0.0.1 and a free port, keeping everything in memory (transient-nio2). One per test JVM,
 * stopped with it. dbtool reaches it like any S3-compatible store: endpoint and path style from the config, the keys
 * from the AWS environment variables ({@link #environment()}).
 */
public final class S3Server {

    public static final String ACCESS_KEY = "AKIADBTOOLTEST";
    public static final String SECRET_KEY = "dbtool-test-secret-0123456789";
    private static final Path JAR = Path.of("target", "s3proxy", "s3proxy-jar-with-dependencies.jar");
    private static S3Server shared;

    private final Process process;
    private final URI endpoint;
    private final S3Client client;

    private S3Server(Process process, URI endpoint) {
        this.process = process;
        this.endpoint = endpoint;
        this.client = S3Client.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .build();
    }

    public static synchronized S3Server shared() {
        if (shared == null) {
            shared = start();
            S3Server server = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> server.process.destroyForcibly(), "s3proxy-stop"));
        }
        return shared;
    }

    private static S3Server start() {
        if (!Files.isRegularFile(JAR)) {
            throw new IllegalStateException(JAR + " is missing; run the tests through Maven (generate-test-resources copies it)");
        }
        try {
            Path dir = Files.createTempDirectory("dbtool-s3proxy");
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            URI endpoint = URI.create("http://127.0.0.1:" + port);
            Path properties = dir.resolve("s3proxy.properties");
            Files.writeString(properties, String.join("\n",
                    "s3proxy.endpoint=" + endpoint,
                    "s3proxy.authorization=aws-v2-or-v4",
                    "s3proxy.identity=" + ACCESS_KEY,
                    "s3proxy.credential=" + SECRET_KEY,
                    "s3proxy.ignore-unknown-headers=true",
                    "jclouds.provider=transient-nio2",
                    "jclouds.identity=local",
                    "jclouds.credential=local",
                    ""));
            Path log = dir.resolve("s3proxy.log");
            Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx512m", "-jar", JAR.toAbsolutePath().toString(), "--properties", properties.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            awaitListening(process, endpoint, log);
            return new S3Server(process, endpoint);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits for the server to answer HTTP (any status), or for the process to die. */
    private static void awaitListening(Process process, URI endpoint, Path log) throws IOException {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("s3proxy exited at start: " + Files.readString(log));
            }
            try {
                HttpURLConnection c = (HttpURLConnection) endpoint.toURL().openConnection();
                c.setConnectTimeout(500);
                c.setReadTimeout(2000);
                c.getResponseCode();
                c.disconnect();
                return;
            } catch (IOException notYet) {
                try {
                    process.waitFor(100, java.util.concurrent.TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        }
        throw new IllegalStateException("s3proxy did not answer at " + endpoint + " within 2 minutes");
    }

    public URI endpoint() {
        return endpoint;
    }

    /** What dbtool needs in its environment: the AWS keys and region. */
    public Map<String, String> environment() {
        return Map.of("AWS_ACCESS_KEY_ID", ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", SECRET_KEY, "AWS_REGION", "us-east-1");
    }

    /** {@link #environment()} with DBTOOL_WORK_DIR set: where uploads to the bucket are staged. */
    public Map<String, String> environment(Path workDir) {
        Map<String, String> env = new java.util.HashMap<>(environment());
        env.put("DBTOOL_WORK_DIR", workDir.toString());
        return env;
    }

    /** The config block that points dbtool at this server. */
    public String storageYaml() {
        return "  storage:\n    endpoint: " + endpoint + "\n    region: us-east-1\n    path_style: true\n";
    }

    /** A new, empty bucket with a unique name. */
    public String createBucket(String prefix) {
        String name = (prefix + "-" + UUID.randomUUID().toString().substring(0, 8)).toLowerCase();
        client.createBucket(b -> b.bucket(name));
        return name;
    }

    /** A client for the test's own look at the bucket (never used by dbtool itself). */
    public S3Client client() {
        return client;
    }

    public List<S3Object> objects(String bucket, String prefix) {
        return client.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream().toList();
    }

    public List<MultipartUpload> uploads(String bucket, String prefix) {
        return client.listMultipartUploads(b -> b.bucket(bucket).prefix(prefix)).uploads();
    }
}
