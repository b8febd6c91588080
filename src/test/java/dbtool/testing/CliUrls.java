package dbtool.testing;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * URLs for dbtool's --url that log in as the test server's superuser. dbtool's default user is the
 * OS user (libpq's rule), which the test servers do not know, so the superuser is named explicitly.
 */
public final class CliUrls {

    private CliUrls() {
    }

    public static String superuser(TestServer server, String database) {
        String password = server.superuserPassword();
        String userInfo = enc(server.superuser())
                + (password == null || password.isEmpty() ? "" : ":" + enc(password));
        return "postgresql://" + userInfo + "@" + server.host() + ":" + server.port() + "/" + database;
    }

    public static String superuser(TestDatabase db) {
        return superuser(db.server(), db.name());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
