package dbtool.testing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Names for the databases a test's imports create, unique on the shared server; {@link #dropAll} after each test. */
public final class NewDatabases {

    private final TestServer server;
    private final String prefix;
    private final List<String> names = new ArrayList<>();

    public NewDatabases(TestServer server, String prefix) {
        this.server = server;
        this.prefix = prefix;
    }

    /** A name no database has yet, remembered for {@link #dropAll}. */
    public String next() {
        String name = prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        names.add(name);
        return name;
    }

    /** Whether the database {@code name} exists (an import created it, or dropped it again). */
    public boolean exists(String name) throws SQLException {
        try (Connection c = server.connectAdmin();
                PreparedStatement ps = c.prepareStatement("select 1 from pg_database where datname = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Drops every database named so far that exists. */
    public void dropAll() {
        names.forEach(server::dropDatabase);
        names.clear();
    }
}
