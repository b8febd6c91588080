package dbtool.config;

import dbtool.DbToolException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Where a database lives and who logs in. The password is kept out of {@link #toString()} and
 * {@link #describe()} on purpose: those end up in logs, manifests and error messages.
 */
public record ConnectionSettings(String host, int port, String database, String user, String password, String sslmode) {

    private static final java.util.Set<String> SSL_MODES =
            java.util.Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

    public ConnectionSettings(String host, int port, String database, String user, String password) {
        this(host, port, database, user, password, null);
    }

    public static final int DEFAULT_PORT = 5432;

    /** Accepts {@code postgresql://[user[:password]@]host[:port]/database}, {@code postgres://} and {@code jdbc:postgresql://}. */
    public static ConnectionSettings parse(String url) {
        String raw = url.strip();
        if (raw.startsWith("jdbc:")) {
            raw = raw.substring("jdbc:".length());
        }
        URI uri;
        try {
            uri = new URI(raw);
        } catch (URISyntaxException e) {
            throw DbToolException.usage("invalid database URL '" + redact(url) + "': " + e.getReason()
                    + "; expected postgresql://host:5432/database");
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equals("postgresql") || scheme.equals("postgres"))) {
            throw DbToolException.usage("invalid database URL '" + redact(url)
                    + "': expected postgresql://host:5432/database");
        }
        String host = uri.getHost();
        if (host == null) {
            // java.net.URI falls back to a "registry" authority when host or port do not parse (e.g. a
            // port of "54x2"): that must be an error, not a silent connection to localhost:5432.
            String authority = uri.getRawAuthority() == null ? "" : uri.getRawAuthority();
            if (!authority.substring(authority.lastIndexOf('@') + 1).isEmpty()) {
                throw DbToolException.usage("invalid host or port in database URL '" + redact(url)
                        + "'; expected postgresql://host:5432/database");
            }
            host = "localhost";
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1); // libpq's --host takes a bare IPv6 address
        }
        int port = uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort();
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String database = decode(path.startsWith("/") ? path.substring(1) : path);
        if (database.isEmpty()) {
            throw DbToolException.usage("database URL '" + redact(url)
                    + "' names no database; expected postgresql://host:5432/database");
        }
        String user = null;
        String password = null;
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
            password = colon < 0 ? null : decode(userInfo.substring(colon + 1));
        }
        String sslmode = null;
        if (uri.getRawQuery() != null && !uri.getRawQuery().isEmpty()) {
            // libpq's URL parameters that matter here; anything else would be silently ignored, so refuse it.
            for (String pair : uri.getRawQuery().split("&")) {
                int eq = pair.indexOf('=');
                String key = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                switch (key) {
                    case "user" -> user = value;
                    case "password" -> password = value;
                    case "sslmode" -> {
                        if (!SSL_MODES.contains(value)) {
                            throw DbToolException.usage("invalid sslmode '" + value + "' in database URL; use one of "
                                    + String.join(", ", new java.util.TreeSet<>(SSL_MODES)));
                        }
                        sslmode = value;
                    }
                    default -> throw DbToolException.usage("unsupported parameter '" + key + "' in database URL '"
                            + redact(url) + "'; supported: user, password, sslmode");
                }
            }
        }
        return new ConnectionSettings(host, port, database, user, password, sslmode);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** The URL with any password replaced, safe to print. */
    public static String redact(String url) {
        return url.replaceAll("(://[^:/@]*:)[^@/]*@", "$1***@").replaceAll("([?&]password=)[^&]*", "$1***");
    }

    public ConnectionSettings withDatabase(String other) {
        return new ConnectionSettings(host, port, other, user, password, sslmode);
    }

    public ConnectionSettings withCredentials(String newUser, String newPassword) {
        return new ConnectionSettings(host, port, database, newUser == null ? user : newUser,
                newPassword == null ? password : newPassword, sslmode);
    }

    /** The effective login role: the configured user, else libpq's default (PGUSER, then the OS user). */
    public String effectiveUser() {
        if (user != null && !user.isBlank()) {
            return user;
        }
        String env = System.getenv("PGUSER");
        return env != null && !env.isBlank() ? env : System.getProperty("user.name");
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://" + hostForUrl() + ":" + port + "/" + database;
    }

    private String hostForUrl() {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    /** user@host:port/database, never the password. */
    public String describe() {
        return effectiveUser() + "@" + host + ":" + port + "/" + database;
    }

    @Override
    public String toString() {
        return describe();
    }
}
