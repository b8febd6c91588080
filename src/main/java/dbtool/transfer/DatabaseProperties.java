package dbtool.transfer;

import dbtool.Reporter;
import dbtool.archive.Manifest;
import dbtool.pg.Connections;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What belongs to a database itself, which pg_dump leaves out without --create: its settings, its
 * comment, settings of roles in it and its privileges. Read from the source's catalogs at export,
 * applied to the target after a restore.
 */
final class DatabaseProperties {

    /**
     * Settings whose value is a list that PostgreSQL quotes element by element (pg_dump's
     * variable_is_guc_list_quote): {@code search_path = "$user", public} must be given back as two
     * string literals, not as one.
     */
    private static final Set<String> LIST_SETTINGS = Set.of("local_preload_libraries", "search_path",
            "session_preload_libraries", "shared_preload_libraries", "temp_tablespaces", "unix_socket_directories");

    private DatabaseProperties() {}

    /** The properties of the database {@code connection} is connected to. */
    static Manifest.Database read(Connection connection) throws SQLException {
        String owner;
        String comment;
        boolean defaultPrivileges;
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(
                "select pg_get_userbyid(d.datdba), shobj_description(d.oid, 'pg_database'), d.datacl is null"
                        + " from pg_database d where d.datname = current_database()")) {
            rs.next();
            owner = rs.getString(1);
            comment = rs.getString(2);
            defaultPrivileges = rs.getBoolean(3);
        }
        List<String> settings = new ArrayList<>();
        List<Manifest.RoleSettings> roleSettings = new ArrayList<>();
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(
                "select r.rolname, s.setconfig from pg_db_role_setting s"
                        + " join pg_database d on d.oid = s.setdatabase left join pg_roles r on r.oid = s.setrole"
                        + " where d.datname = current_database() order by s.setrole <> 0, r.rolname")) {
            while (rs.next()) {
                List<String> config = strings(rs.getArray(2));
                if (rs.getString(1) == null) {
                    settings.addAll(config);
                } else {
                    roleSettings.add(new Manifest.RoleSettings(rs.getString(1), config));
                }
            }
        }
        List<Manifest.Grant> grants = null;
        if (!defaultPrivileges) {
            grants = new ArrayList<>();
            try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(
                    "select case when a.grantee = 0 then 'PUBLIC' else pg_get_userbyid(a.grantee) end, a.privilege_type,"
                            + " a.is_grantable from pg_database d, aclexplode(d.datacl) a"
                            + " where d.datname = current_database() and a.grantee <> d.datdba order by 1, 2")) {
                while (rs.next()) {
                    grants.add(new Manifest.Grant(rs.getString(1), rs.getString(2), rs.getBoolean(3)));
                }
            }
        }
        return new Manifest.Database(owner, comment, settings, roleSettings, grants);
    }

    private static List<String> strings(Array array) throws SQLException {
        return array == null ? List.of() : List.of((String[]) array.getArray());
    }

    /**
     * Applies {@code properties} to the database {@code connection} is connected to. Settings, comment
     * and settings of roles that exist are applied always, privileges only with {@code keepOwners}
     * (like the objects' own). Nothing here fails the import: the data is restored by now; what could
     * not be applied is one warning each, naming it and why.
     */
    static List<String> apply(Connection connection, Manifest.Database properties, boolean keepOwners, Reporter reporter)
            throws SQLException {
        List<String> warnings = new ArrayList<>();
        String database = currentDatabase(connection);
        String db = Connections.quoteIdentifier(database);
        int applied = 0;
        for (String setting : properties.settings()) {
            applied += run(connection, "alter database " + db + alterSet(setting),
                    "setting " + setting + " of database " + database, warnings, reporter);
        }
        if (properties.comment() != null) {
            applied += run(connection, "comment on database " + db + " is " + literal(properties.comment()),
                    "the comment of database " + database, warnings, reporter);
        }
        for (Manifest.RoleSettings role : properties.roleSettings()) {
            if (!roleExists(connection, role.role())) {
                warn("role " + role.role() + " does not exist on the target server, so its settings in database "
                        + database + " " + role.settings() + " were not applied; create the role (import --globals)"
                        + " and apply them with ALTER ROLE ... IN DATABASE", warnings, reporter);
                continue;
            }
            for (String setting : role.settings()) {
                applied += run(connection, "alter role " + Connections.quoteIdentifier(role.role()) + " in database " + db
                        + alterSet(setting), "setting " + setting + " of role " + role.role() + " in database " + database,
                        warnings, reporter);
            }
        }
        if (properties.grants() != null) {
            if (keepOwners) {
                applied += run(connection, "revoke all on database " + db + " from public",
                        "the default privileges of PUBLIC on database " + database, warnings, reporter);
                for (Manifest.Grant grant : properties.grants()) {
                    boolean isPublic = grant.grantee().equals(Manifest.Grant.PUBLIC);
                    if (!isPublic && !roleExists(connection, grant.grantee())) {
                        warn("role " + grant.grantee() + " does not exist on the target server, so its " + grant.privilege()
                                + " privilege on database " + database + " was not granted", warnings, reporter);
                        continue;
                    }
                    applied += run(connection, "grant " + grant.privilege().toLowerCase(Locale.ROOT) + " on database " + db
                            + " to " + (isPublic ? "public" : Connections.quoteIdentifier(grant.grantee()))
                            + (grant.grantable() ? " with grant option" : ""),
                            grant.privilege() + " on database " + database + " for " + grant.grantee(), warnings, reporter);
                }
            } else {
                reporter.detail("database privileges of the source were not restored (--keep-owners is off)");
            }
        }
        if (applied > 0) {
            reporter.info("applied the source database's settings, comment and privileges to " + database
                    + " (" + applied + " statements)");
        }
        return warnings;
    }

    private static int run(Connection connection, String sql, String what, List<String> warnings, Reporter reporter) {
        try (Statement st = connection.createStatement()) {
            st.execute(sql);
            reporter.detail(sql);
            return 1;
        } catch (SQLException e) {
            warn("could not apply " + what + ": " + firstLine(e.getMessage()), warnings, reporter);
            return 0;
        }
    }

    private static void warn(String message, List<String> warnings, Reporter reporter) {
        warnings.add(message);
        reporter.warn(message);
    }

    private static String currentDatabase(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("select current_database()")) {
            rs.next();
            return rs.getString(1);
        }
    }

    static boolean roleExists(Connection connection, String role) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("select 1 from pg_roles where rolname = ?")) {
            ps.setString(1, role);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** " set NAME to VALUE" for a {@code name=value} entry of pg_db_role_setting, as pg_dump writes it. */
    static String alterSet(String setting) {
        int eq = setting.indexOf('=');
        String name = setting.substring(0, eq);
        String value = setting.substring(eq + 1);
        String values;
        if (LIST_SETTINGS.contains(name.toLowerCase(Locale.ROOT))) {
            values = String.join(", ", splitList(value).stream().map(DatabaseProperties::literal).toList());
            if (values.isEmpty()) {
                values = "''";
            }
        } else {
            values = literal(value);
        }
        return " set " + Connections.quoteIdentifier(name) + " to " + values;
    }

    /**
     * Splits a list setting's stored text into its elements: comma-separated, blanks around them
     * ignored, double-quoted elements may hold commas and blanks ("" is a quote), as PostgreSQL's
     * SplitGUCList reads it.
     */
    static List<String> splitList(String value) {
        List<String> elements = new ArrayList<>();
        int i = 0;
        int n = value.length();
        while (i < n) {
            while (i < n && Character.isWhitespace(value.charAt(i))) {
                i++;
            }
            if (i >= n) {
                break;
            }
            StringBuilder element = new StringBuilder();
            boolean quoted = value.charAt(i) == '"';
            if (quoted) {
                i++;
                while (i < n) {
                    char c = value.charAt(i);
                    if (c == '"') {
                        if (i + 1 < n && value.charAt(i + 1) == '"') {
                            element.append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    element.append(c);
                    i++;
                }
                while (i < n && value.charAt(i) != ',') {
                    i++;
                }
            } else {
                while (i < n && value.charAt(i) != ',') {
                    element.append(value.charAt(i));
                    i++;
                }
            }
            elements.add(quoted ? element.toString() : element.toString().strip());
            i++; // the comma
        }
        return elements;
    }

    /** A SQL string literal; E'' form when it holds a backslash, so it reads the same whatever standard_conforming_strings is. */
    static String literal(String value) {
        String quoted = value.replace("'", "''");
        if (quoted.contains("\\")) {
            return "E'" + quoted.replace("\\", "\\\\") + "'";
        }
        return "'" + quoted + "'";
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unknown error";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
