package dbtool.transfer;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.Reporter;
import dbtool.config.ConnectionSettings;
import dbtool.migrate.lint.SqlScript;
import dbtool.migrate.lint.SqlStatement;
import dbtool.migrate.lint.Token;
import dbtool.pg.PgProcess;
import dbtool.pg.PgTool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Roles, memberships, role settings and tablespaces: {@code pg_dumpall --globals-only} at export,
 * and at import only what the target server is missing. An existing role is never changed (not
 * its password, attributes, settings or memberships): it may belong to someone else's database.
 */
public final class Globals {

    /** What an import did with the archive's globals. */
    public record Applied(List<String> created, List<String> skipped, List<String> failed, List<String> warnings) {}

    private Globals() {}

    /** Writes the source server's globals to {@code file} (mode 0600: with --role-passwords it holds password hashes). */
    static void dump(PgTool pgDumpAll, ConnectionSettings source, boolean rolePasswords, Path file, Reporter reporter) {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (IOException e) {
            throw new DbToolException(ExitCode.RUNTIME, "cannot create " + file + ": " + e.getMessage(), e);
        }
        List<String> args = new ArrayList<>(List.of("--globals-only", "--file=" + file));
        if (!rolePasswords) {
            args.add("--no-role-passwords");
        }
        // pg_dumpall's --dbname is a connection string; -l/--database names the database to read from.
        List<String> connection = new ArrayList<>(PgProcess.connectionArguments(source));
        int at = connection.indexOf("--dbname");
        connection.set(at, "--database");
        args.addAll(connection);
        PgProcess.Result result = new PgProcess(pgDumpAll, args, source, event -> reporter.detail(event.line())).run();
        if (!result.ok()) {
            String first = result.firstError();
            String hint = first.contains("pg_authid") ? "; without superuser rights leave out --role-passwords" : "";
            throw result.failure("pg_dumpall --globals-only failed (exit " + result.exitCode() + "): " + first + hint);
        }
    }

    /**
     * Creates the roles (and tablespaces) of {@code file} that {@code connection}'s server lacks, with
     * their attributes, settings and memberships; everything about existing ones is skipped. A role
     * that cannot be created (no CREATEROLE, say) is one warning; the caller decides whether the
     * restore can go on without it.
     */
    static Applied apply(Path file, Connection connection, Reporter reporter) throws IOException, SQLException {
        // psql meta-commands (\restrict, \connect) are not SQL.
        String sql = Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                .filter(line -> !line.startsWith("\\")).collect(Collectors.joining("\n"));
        Set<String> roles = names(connection, "select rolname from pg_roles");
        Set<String> tablespaces = names(connection, "select spcname from pg_tablespace");
        Set<String> createdRoles = new HashSet<>();
        Set<String> createdTablespaces = new HashSet<>();
        List<String> created = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        for (SqlStatement statement : SqlScript.parse(sql).statements()) {
            List<Token> t = statement.tokens();
            if (t.size() < 3 || t.get(0).is("SET")) {
                continue; // session settings of pg_dumpall's script
            }
            if (t.get(0).is("CREATE") && (t.get(1).is("ROLE") || t.get(1).is("TABLESPACE"))) {
                boolean role = t.get(1).is("ROLE");
                String name = t.get(2).name();
                Set<String> existing = role ? roles : tablespaces;
                if (existing.contains(name)) {
                    skipped.add((role ? "" : "tablespace ") + name);
                    continue;
                }
                try {
                    execute(connection, statement.text());
                    (role ? createdRoles : createdTablespaces).add(name);
                    created.add((role ? "" : "tablespace ") + name);
                } catch (SQLException e) {
                    // Reported by the caller in one line for all of them: the cause is nearly always the same.
                    failed.add((role ? "" : "tablespace ") + name);
                    String message = "could not create " + (role ? "role " : "tablespace ") + name + " on the target server ("
                            + firstLine(e.getMessage()) + ")";
                    warnings.add(message);
                    reporter.detail(message);
                }
                continue;
            }
            String subject = subject(t);
            boolean ours = subject != null && (createdRoles.contains(subject) || createdTablespaces.contains(subject));
            if (!ours) {
                reporter.detail("skipped (about an existing role or tablespace): " + statement.text());
                continue;
            }
            try {
                execute(connection, statement.text());
            } catch (SQLException e) {
                String message = "could not apply to new " + subject + ": " + statement.text().strip()
                        + " (" + firstLine(e.getMessage()) + ")";
                warnings.add(message);
                reporter.warn(message);
            }
        }
        return new Applied(created, skipped, failed, warnings);
    }

    /**
     * Whom a statement of pg_dumpall's script changes: the role or tablespace after
     * {@code ALTER ROLE}, {@code COMMENT ON ROLE}, {@code ALTER TABLESPACE} and the like, or the member
     * after {@code GRANT ... TO}. Null when there is none.
     */
    private static String subject(List<Token> t) {
        if (t.get(0).is("GRANT")) {
            for (int i = 1; i + 1 < t.size(); i++) {
                if (t.get(i).is("TO") && t.get(i + 1).isName()) {
                    // GRANT ... ON TABLESPACE x TO role: about the tablespace.
                    for (int j = 1; j + 2 < i; j++) {
                        if (t.get(j).is("ON") && t.get(j + 1).is("TABLESPACE")) {
                            return t.get(j + 2).name();
                        }
                    }
                    return t.get(i + 1).name();
                }
            }
            return null;
        }
        for (int i = 0; i + 1 < t.size(); i++) {
            if ((t.get(i).is("ROLE") || t.get(i).is("TABLESPACE")) && t.get(i + 1).isName()) {
                return t.get(i + 1).name();
            }
        }
        return null;
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement st = connection.createStatement()) {
            st.execute(sql);
        }
    }

    private static Set<String> names(Connection connection, String sql) throws SQLException {
        Set<String> names = new HashSet<>();
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        return names;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unknown error";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
