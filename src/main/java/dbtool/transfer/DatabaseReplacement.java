package dbtool.transfer;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.Reporter;
import dbtool.config.ConnectionSettings;
import dbtool.pg.Connections;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Replaces an existing database with a new one, all or nothing. The new contents go into a fresh database beside the
 * target ({@link #staging()}); the caller fills and validates it; {@link #swap()} then renames the target to
 * {@code <name>_before_<utc time>} and the new database to the target's name in one transaction. Until that commit the
 * target is never touched, so a failure or Ctrl-C at any moment leaves it exactly as it was; closing without a swap
 * drops the new database (a shutdown hook does the same on Ctrl-C / SIGTERM).
 *
 * <p>Independent of where the contents come from (an archive, another database). The previous database is kept,
 * never dropped: the user removes it once satisfied. Other sessions on the target would block the rename (and be
 * cut off from data that moved); they are refused with one line instead of waited for (only a session that is
 * already ending gets {@link #ENDING_SESSIONS} to leave).
 */
public final class DatabaseReplacement implements AutoCloseable {
    /** How long a session that is just ending may take to leave pg_stat_activity before it counts as in use. */
    static final java.time.Duration ENDING_SESSIONS = java.time.Duration.ofSeconds(2);

    /** Suffix of the database the target becomes: {@code _before_20261201t153000z}. */
    static final DateTimeFormatter BEFORE_STAMP =
            DateTimeFormatter.ofPattern("'_before_'yyyyMMdd't'HHmmss'z'").withZone(ZoneOffset.UTC);
    private static final int MAX_NAME_BYTES = 63;

    private final ConnectionSettings target;
    private final ConnectionSettings staging;
    private final Reporter reporter;
    private final Thread dropOnShutdown;
    private volatile boolean swapped;
    private boolean dropped;

    private DatabaseReplacement(ConnectionSettings target, ConnectionSettings staging, Reporter reporter) {
        this.target = target;
        this.staging = staging;
        this.reporter = reporter;
        this.dropOnShutdown = new Thread(() -> {
            if (!swapped) {
                dropStaging();
            }
        }, "dbtool-drop-" + staging.database());
    }

    /**
     * Fails fast when other sessions use the target, then creates the new database with the target's encoding,
     * collation and (when allowed) owner.
     */
    public static DatabaseReplacement begin(ConnectionSettings target, Reporter reporter) {
        requireNoOtherSessions(target);
        String name = fit(target.database(), "_dbtool_new_" + HexFormat.of().formatHex(random(4)));
        DatabaseReplacement replacement = new DatabaseReplacement(target, target.withDatabase(name), reporter);
        replacement.create();
        return replacement;
    }

    /** Where the new contents go. */
    public ConnectionSettings staging() {
        return staging;
    }

    /**
     * Puts the new database in the target's place: one transaction renames the target to
     * {@code <name>_before_<utc time>} and the new database to the target's name. Returns the name the previous
     * database is kept under.
     */
    public String swap() {
        String keptAs = fit(target.database(), BEFORE_STAMP.format(Instant.now()));
        try (Connection admin = maintenance(target)) {
            admin.setAutoCommit(false);
            try (Statement st = admin.createStatement()) {
                // A session that locks the database (connecting to it, say) must not make us wait forever.
                st.execute("set local lock_timeout = '5s'");
                List<String> others = otherSessions(admin, target.database());
                if (!others.isEmpty()) {
                    throw busy(target, others);
                }
                st.execute("alter database " + Connections.quoteIdentifier(target.database()) + " rename to "
                        + Connections.quoteIdentifier(keptAs));
                st.execute("alter database " + Connections.quoteIdentifier(staging.database()) + " rename to "
                        + Connections.quoteIdentifier(target.database()));
                admin.commit();
                swapped = true;
            } catch (SQLException | RuntimeException e) {
                admin.rollback();
                throw e;
            }
        } catch (SQLException e) {
            if ("55006".equals(e.getSQLState()) || "55P03".equals(e.getSQLState())) {
                throw busy(target, List.of(e.getMessage()));
            }
            throw Connections.explain(target, e);
        }
        removeHook();
        // Only with -v: import's and copy's summary say it once, with the dropdb command.
        reporter.detail("swapped names: " + target.describe() + " is the new database, the previous one is " + keptAs);
        return keptAs;
    }

    /** Drops the new database unless it replaced the target. */
    @Override
    public void close() {
        if (!swapped && !dropped) {
            removeHook();
            dropStaging();
        }
    }

    private void create() {
        try (Connection admin = maintenance(target)) {
            String owner;
            String encoding;
            String collate;
            String ctype;
            try (PreparedStatement ps = admin.prepareStatement("select pg_get_userbyid(datdba), pg_encoding_to_char(encoding),"
                    + " datcollate, datctype from pg_database where datname = ?")) {
                ps.setString(1, target.database());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw DbToolException.usage("database " + target.describe() + " does not exist");
                    }
                    owner = rs.getString(1);
                    encoding = rs.getString(2);
                    collate = rs.getString(3);
                    ctype = rs.getString(4);
                }
            }
            String like = " template template0 encoding " + literal(encoding) + " lc_collate " + literal(collate)
                    + " lc_ctype " + literal(ctype);
            String create = "create database " + Connections.quoteIdentifier(staging.database());
            Runtime.getRuntime().addShutdownHook(dropOnShutdown);
            try (Statement st = admin.createStatement()) {
                try {
                    st.execute(create + " owner " + Connections.quoteIdentifier(owner) + like);
                } catch (SQLException notAllowedToGiveAway) {
                    // Only a superuser or a member of the owner's role may create a database for it.
                    st.execute(create + like);
                }
            }
        } catch (SQLException e) {
            removeHook();
            throw Connections.explain(target, e);
        }
        reporter.info("restoring into a new database " + staging.database() + " beside " + target.database()
                + "; the target is replaced only after every row count matched");
    }

    private void dropStaging() {
        try (Connection admin = maintenance(target)) {
            try (Statement st = admin.createStatement()) {
                st.execute("set statement_timeout = '10s'");
            }
            try (PreparedStatement ps = admin.prepareStatement(
                    "select pg_terminate_backend(pid) from pg_stat_activity where datname = ? and pid <> pg_backend_pid()")) {
                ps.setString(1, staging.database());
                ps.execute();
            }
            try (Statement st = admin.createStatement()) {
                st.execute("drop database if exists " + Connections.quoteIdentifier(staging.database()));
            }
            dropped = true;
            reporter.info("dropped the new database " + staging.database() + "; " + target.database() + " was not changed");
        } catch (SQLException | DbToolException e) {
            reporter.warn("could not drop the new database " + staging.database() + " (" + e.getMessage() + "); "
                    + target.database() + " was not changed; drop it by hand: dropdb " + staging.database());
        }
    }

    /** Fails with one line naming them when other sessions use the target. */
    static void requireNoOtherSessions(ConnectionSettings target) {
        try (Connection admin = maintenance(target)) {
            List<String> others = otherSessions(admin, target.database());
            if (!others.isEmpty()) {
                throw busy(target, others);
            }
        } catch (SQLException e) {
            throw Connections.explain(target, e);
        }
    }

    /**
     * The other sessions on {@code database}. A client that has just disconnected (a psql that checked the target a
     * moment ago) keeps its backend in pg_stat_activity until the backend has exited, so sessions are looked at
     * again for up to {@link #ENDING_SESSIONS} before they count; a session that is really in use stays and is named.
     */
    private static List<String> otherSessions(Connection admin, String database) throws SQLException {
        long deadline = System.nanoTime() + ENDING_SESSIONS.toNanos();
        List<String> sessions = sessionsNow(admin, database);
        while (!sessions.isEmpty() && System.nanoTime() < deadline) {
            try (Statement st = admin.createStatement()) {
                // pg_stat_activity is read once per transaction unless its snapshot is cleared
                st.execute("select pg_stat_clear_snapshot()");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return sessions;
            }
            sessions = sessionsNow(admin, database);
        }
        return sessions;
    }

    private static List<String> sessionsNow(Connection admin, String database) throws SQLException {
        List<String> sessions = new ArrayList<>();
        try (PreparedStatement ps = admin.prepareStatement("select pid, usename, application_name from pg_stat_activity"
                + " where datname = ? and pid <> pg_backend_pid() order by pid")) {
            ps.setString(1, database);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    sessions.add("pid " + rs.getInt(1) + " " + rs.getString(2)
                            + (rs.getString(3) == null || rs.getString(3).isEmpty() ? "" : " (" + rs.getString(3) + ")"));
                }
            }
        }
        return sessions;
    }

    private static DbToolException busy(ConnectionSettings target, List<String> sessions) {
        return new DbToolException(ExitCode.RUNTIME, "--clean replaces " + target.describe() + " but other sessions use it: "
                + String.join(", ", sessions) + "; nothing was changed; close them (or stop the application) and retry");
    }

    private void removeHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(dropOnShutdown);
        } catch (IllegalStateException | IllegalArgumentException shuttingDownOrNotAdded) {
            // the hook runs now, or was never added
        }
    }

    /** {@code base + suffix}, with base cut so the name fits PostgreSQL's 63 bytes. */
    static String fit(String base, String suffix) {
        int room = MAX_NAME_BYTES - suffix.getBytes(StandardCharsets.UTF_8).length;
        StringBuilder cut = new StringBuilder();
        for (int i = 0; i < base.length(); ) {
            int cp = base.codePointAt(i);
            String next = new String(Character.toChars(cp));
            if (cut.toString().getBytes(StandardCharsets.UTF_8).length + next.getBytes(StandardCharsets.UTF_8).length > room) {
                break;
            }
            cut.append(next);
            i += Character.charCount(cp);
        }
        return cut + suffix;
    }

    private static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    private static byte[] random(int n) {
        byte[] bytes = new byte[n];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }

    private static Connection maintenance(ConnectionSettings target) {
        try {
            return Connections.open(target.withDatabase("postgres"));
        } catch (DbToolException e) {
            if (e.getCause() instanceof SQLException sql && "3D000".equals(sql.getSQLState())) {
                return Connections.open(target.withDatabase("template1"));
            }
            throw e;
        }
    }
}
