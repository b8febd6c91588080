package dbtool.testing;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Pattern;

/**
 * A server reached over TCP as superuser. Embedded, container and external servers differ only
 * in how they were started (and who stops them), so this one class serves all three.
 */
final class RunningServer implements TestServer {

    // Plain lowercase names need no quoting anywhere (SQL, pg_dump -d, dbtool config), which keeps tests simple.
    private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9_]*");
    private static final int SUFFIX_LENGTH = 10;
    private static final int MAX_IDENTIFIER_LENGTH = 63; // NAMEDATALEN - 1
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String description;
    private final String host;
    private final int port;
    private final String superuser;
    private final String superuserPassword;
    private final int majorVersion;

    /** Connects once to learn the major version, so a wrong address or password fails here, early. */
    RunningServer(String description, String host, int port, String superuser, String superuserPassword) {
        this.description = description;
        this.host = host;
        this.port = port;
        this.superuser = superuser;
        this.superuserPassword = superuserPassword;
        try (Connection c = connectAdmin(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SHOW server_version_num")) {
            rs.next();
            this.majorVersion = Integer.parseInt(rs.getString(1)) / 10000;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot connect to " + this + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String host() {
        return host;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public String superuser() {
        return superuser;
    }

    @Override
    public String superuserPassword() {
        return superuserPassword;
    }

    @Override
    public int majorVersion() {
        return majorVersion;
    }

    @Override
    public TestDatabase createDatabase(String prefix) {
        String name = uniqueName(prefix);
        adminExecute("CREATE DATABASE " + name);
        return new TestDatabase(this, name);
    }

    @Override
    public TestRole createRole(String prefix, String password) {
        String name = uniqueName(prefix);
        // The server hashes the password with its password_encryption (md5 on 12, scram-sha-256 from 14).
        adminExecute("CREATE ROLE " + name + " LOGIN"
                + (password == null ? "" : " PASSWORD " + Jdbc.literal(password)));
        return new TestRole(name, password);
    }

    @Override
    public Connection connectAdmin() throws SQLException {
        return Jdbc.connect(host, port, "postgres", superuser, superuserPassword);
    }

    @Override
    public void dropDatabase(String name) {
        // Works on 12 too, unlike DROP DATABASE ... WITH (FORCE) (13+).
        try (Connection c = connectAdmin()) {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()")) {
                ps.setString(1, name);
                ps.executeQuery().close();
            }
            try (Statement st = c.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + Jdbc.ident(name));
            }
        } catch (SQLException e) {
            throw new RuntimeException("cannot drop database " + name + " on " + this + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String url(String database) {
        String enc = java.net.URLEncoder.encode(superuser(), java.nio.charset.StandardCharsets.UTF_8);
        String pw = superuserPassword();
        String credentials = pw == null || pw.isEmpty() ? enc
                : enc + ":" + java.net.URLEncoder.encode(pw, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
        return "postgresql://" + credentials + "@" + host + ":" + port + "/" + database;
    }

    @Override
    public String toString() {
        return description + " at " + host + ":" + port;
    }

    private void adminExecute(String sql) {
        try (Connection c = connectAdmin(); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new RuntimeException("on " + this + ": " + e.getMessage(), e);
        }
    }

    private static String uniqueName(String prefix) {
        if (prefix == null || !PREFIX.matcher(prefix).matches()
                || prefix.length() + 1 + SUFFIX_LENGTH > MAX_IDENTIFIER_LENGTH) {
            throw new IllegalArgumentException("prefix must match " + PREFIX + " and be at most "
                    + (MAX_IDENTIFIER_LENGTH - 1 - SUFFIX_LENGTH) + " characters: " + prefix);
        }
        StringBuilder name = new StringBuilder(prefix).append('_');
        for (int i = 0; i < SUFFIX_LENGTH; i++) {
            name.append((char) ('a' + RANDOM.nextInt(26)));
        }
        return name.toString();
    }
}
