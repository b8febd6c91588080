package dbtool.testing;

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

    /** Drops every database named so far that exists. */
    public void dropAll() {
        names.forEach(server::dropDatabase);
        names.clear();
    }
}
