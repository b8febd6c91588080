package dbtool.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.opentest4j.TestAbortedException;
import org.testcontainers.DockerClientFactory;

/**
 * Proves {@link PgServers} gives real, isolated servers. The {@value PgServers#URL_ENV} path is
 * exercised through its system-property twin {@value PgServers#URL_PROPERTY} (a JVM cannot change
 * its own environment), pointed at an embedded server of another major so the test can tell which
 * server it got. With {@value PgServers#URL_ENV} set, tests that need the embedded default skip.
 */
class PgServersIT {

    @Test
    void defaultServerIsEmbeddedPostgres15OnLoopback() throws SQLException {
        assumeTrue(noUrlConfigured(), "a server URL is configured, so the default is not embedded");
        TestServer server = PgServers.defaultServer();

        assertThat(query(server, "select version()")).startsWith("PostgreSQL 15.");
        assertThat(server.majorVersion()).isEqualTo(15);
        assertThat(server.host()).isEqualTo("127.0.0.1");
        assertThat(server.port()).isNotEqualTo(5432);
        assertThat(server.superuser()).isEqualTo("postgres");
        assertThat(query(server, "select current_setting('listen_addresses')")).isEqualTo("127.0.0.1");
        assertThat(PgServers.defaultServer()).as("shared per JVM").isSameAs(server);
    }

    @ParameterizedTest
    @ValueSource(ints = {12, 17})
    void embeddedServersReportTheRequestedMajor(int major) throws SQLException {
        TestServer server = PgServers.embedded(major);

        assertThat(server.majorVersion()).isEqualTo(major);
        assertThat(query(server, "select version()")).startsWith("PostgreSQL " + major + ".");
        assertThat(server.port()).isNotEqualTo(5432).isNotEqualTo(PgServers.embedded(15).port());
        assertThat(PgServers.embedded(major)).as("shared per JVM per major").isSameAs(server);
    }

    @Test
    void createDatabaseGivesUniqueConnectableIsolatedDatabases() {
        TestServer server = PgServers.embedded(15);
        TestDatabase a = server.createDatabase("fixture_it");
        TestDatabase b = server.createDatabase("fixture_it");
        try {
            assertThat(a.name()).matches("fixture_it_[a-z]+").isNotEqualTo(b.name());
            assertThat(a.url()).isEqualTo("postgresql://postgres@127.0.0.1:" + server.port() + "/" + a.name());
            assertThat(a.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:" + server.port() + "/" + a.name());

            a.execute("create table t(id int)", "insert into t values (1), (2)");
            assertThat(a.queryLong("select sum(id) from t")).isEqualTo(3);
            assertThat(a.queryString("select current_database()")).isEqualTo(a.name());
            assertThat(b.queryLong("select count(*) from pg_tables where tablename = 't'")).isZero();
        } finally {
            a.drop();
            b.drop();
        }
        assertThat(query(server, "select count(*) from pg_database where datname in ('"
                + a.name() + "', '" + b.name() + "')")).isEqualTo("0");
    }

    /** dbtool runs the machine's pg_dump against these servers, over TCP to 127.0.0.1. */
    @Test
    void machinesPgDumpCanDumpADatabaseOfTheDefaultServer() throws Exception {
        TestServer server = PgServers.defaultServer();
        TestDatabase db = server.createDatabase("fixture_dump");
        try {
            db.execute("create table dumped_table(id int)");
            ProcessBuilder pb = new ProcessBuilder("pg_dump", "-h", server.host(), "-p", String.valueOf(server.port()),
                    "-U", server.superuser(), "--schema-only", db.name());
            if (server.superuserPassword() != null) {
                pb.environment().put("PGPASSWORD", server.superuserPassword());
            }
            Process process;
            try {
                process = pb.redirectErrorStream(true).start();
            } catch (java.io.IOException e) {
                Assumptions.abort("no pg_dump on PATH: " + e.getMessage());
                return;
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor()).as(output).isZero();
            assertThat(output).contains("CREATE TABLE public.dumped_table");
        } finally {
            db.drop();
        }
    }

    @Test
    void dropDatabaseEndsOpenSessionsFirst() throws SQLException {
        TestDatabase db = PgServers.embedded(15).createDatabase("fixture_drop");
        try (Connection open = db.connect()) {
            db.drop();
            assertThat(open.isValid(2)).as("session was terminated").isFalse();
        }
        db.drop(); // IF EXISTS: dropping twice is fine
    }

    /** 12 stores md5 passwords, 15 and 17 SCRAM: both must really be checked. */
    @ParameterizedTest
    @ValueSource(ints = {12, 15, 17})
    void createdRoleLogsInWithItsPasswordOnly(int major) throws SQLException {
        TestServer server = PgServers.embedded(major);
        TestRole role = server.createRole("fixture_role", "s3cret'pw");

        try (Connection c = connectAs(server, role.name(), role.password())) {
            assertThat(c.createStatement().executeQuery("select current_user").next()).isTrue();
        }
        assertThatThrownBy(() -> connectAs(server, role.name(), "wrong").close())
                .isInstanceOf(SQLException.class)
                .extracting(e -> ((SQLException) e).getSQLState())
                .isEqualTo("28P01"); // invalid_password
    }

    @Test
    void containerAbortsInsteadOfFailingWithoutDocker() {
        if (DockerClientFactory.instance().isDockerAvailable()) {
            assertThat(PgServers.container("postgres:16").majorVersion()).isEqualTo(16);
        } else {
            assertThatThrownBy(() -> PgServers.container("postgres:16")).isInstanceOf(TestAbortedException.class);
        }
    }

    /** Shows up as skipped, not failed, where there is no Docker. */
    @Test
    void containerServerOfTheRequestedImage() {
        TestServer server = PgServers.container("postgres:16");
        assertThat(server.majorVersion()).isEqualTo(16);
        TestDatabase db = server.createDatabase("fixture_container");
        db.execute("create table t(id int)");
        db.drop();
    }

    @Test
    void defaultServerUsesTheConfiguredUrlWithCredentials() {
        assumeTrue(System.getenv(PgServers.URL_ENV) == null, PgServers.URL_ENV + " is set and takes precedence");
        TestServer target = PgServers.embedded(17);
        // A password-protected superuser, so the URL's password (with characters that need encoding) is really used.
        TestRole admin = target.createRole("fixture_admin", "p@ss:w/rd%");
        execute(target, "alter role " + admin.name() + " superuser");
        String url = "postgresql://" + admin.name() + ":" + URLEncoder.encode(admin.password(), StandardCharsets.UTF_8)
                + "@127.0.0.1:" + target.port() + "/postgres";

        String before = System.getProperty(PgServers.URL_PROPERTY);
        System.setProperty(PgServers.URL_PROPERTY, url);
        try {
            TestServer server = PgServers.defaultServer();
            assertThat(server.port()).isEqualTo(target.port());
            assertThat(server.majorVersion()).isEqualTo(17);
            assertThat(server.superuser()).isEqualTo(admin.name());
            assertThat(server.superuserPassword()).isEqualTo("p@ss:w/rd%");
            TestDatabase db = server.createDatabase("fixture_url");
            assertThat(db.queryString("select current_user")).isEqualTo(admin.name());
            db.drop();
        } finally {
            if (before == null) {
                System.clearProperty(PgServers.URL_PROPERTY);
            } else {
                System.setProperty(PgServers.URL_PROPERTY, before);
            }
        }
    }

    private static boolean noUrlConfigured() {
        return System.getenv(PgServers.URL_ENV) == null && System.getProperty(PgServers.URL_PROPERTY) == null;
    }

    private static Connection connectAs(TestServer server, String user, String password) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        return DriverManager.getConnection("jdbc:postgresql://" + server.host() + ":" + server.port() + "/postgres", props);
    }

    private static String query(TestServer server, String sql) {
        try (Connection c = server.connectAdmin(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new RuntimeException(e);
        }
    }

    private static void execute(TestServer server, String sql) {
        try (Connection c = server.connectAdmin(); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new RuntimeException(e);
        }
    }
}
