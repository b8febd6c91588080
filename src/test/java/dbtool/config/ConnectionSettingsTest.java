package dbtool.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.pg.PgProcess;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ConnectionSettingsTest {

    @ParameterizedTest
    @ValueSource(strings = {"postgresql://db.example.com:6543/sales", "postgres://db.example.com:6543/sales",
        "jdbc:postgresql://db.example.com:6543/sales", "  postgresql://db.example.com:6543/sales\n"})
    void acceptsEverySpellingOfTheScheme(String url) {
        ConnectionSettings c = ConnectionSettings.parse(url);
        assertThat(c.host()).isEqualTo("db.example.com");
        assertThat(c.port()).isEqualTo(6543);
        assertThat(c.database()).isEqualTo("sales");
        assertThat(c.user()).isNull();
        assertThat(c.password()).isNull();
    }

    @Test
    void defaultPortIs5432() {
        ConnectionSettings c = ConnectionSettings.parse("postgresql://db.example.com/sales");
        assertThat(c.port()).isEqualTo(5432);
        assertThat(c.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example.com:5432/sales");
    }

    @Test
    void userAndPasswordAreSplitAndPercentDecoded() {
        ConnectionSettings c = ConnectionSettings.parse("postgresql://app%40corp:p%40ss%3Aw%2Frd+x@db:5433/my%20db");
        assertThat(c.user()).isEqualTo("app@corp");
        assertThat(c.password()).isEqualTo("p@ss:w/rd+x"); // '+' is a plus in a URL's user info, not a space
        assertThat(c.database()).isEqualTo("my db");
        assertThat(c.port()).isEqualTo(5433);
    }

    @Test
    void userWithoutPassword() {
        ConnectionSettings c = ConnectionSettings.parse("postgresql://reader@db/sales");
        assertThat(c.user()).isEqualTo("reader");
        assertThat(c.password()).isNull();
        assertThat(c.describe()).isEqualTo("reader@db:5432/sales");
    }

    /** libpq's --host takes a bare IPv6 address; brackets belong only in URLs. */
    @Test
    void ipv6HostIsStoredWithoutBrackets() {
        ConnectionSettings c = ConnectionSettings.parse("postgresql://u@[::1]:5433/sales");
        assertThat(c.host()).isEqualTo("::1");
        assertThat(c.port()).isEqualTo(5433);
        assertThat(c.jdbcUrl()).isEqualTo("jdbc:postgresql://[::1]:5433/sales");
        assertThat(PgProcess.connectionArguments(c)).containsSequence("--host", "::1");
    }

    @Test
    void describeAndToStringNeverContainThePassword() {
        ConnectionSettings c = ConnectionSettings.parse("postgresql://u:Sup3rSecretPw@db:5433/sales");
        assertThat(c.password()).isEqualTo("Sup3rSecretPw");
        assertThat(c.describe()).isEqualTo("u@db:5433/sales").doesNotContain("Sup3rSecretPw");
        assertThat(c.toString()).doesNotContain("Sup3rSecretPw");
        assertThat(c.withDatabase("postgres").toString()).doesNotContain("Sup3rSecretPw");
        assertThat(PgProcess.connectionArguments(c)).noneMatch(a -> a.contains("Sup3rSecretPw"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"mysql://u:Sup3rSecretPw@db/sales", "postgresql://u:Sup3rSecretPw@db:5432/",
        "postgresql://u:Sup3rSecretPw@db:5432", "postgresql://u:Sup3rSecretPw@db name/sales",
        "postgresql://u:Sup3rSecretPw@db:notaport/sales"})
    void badUrlsAreUsageErrorsThatNeverEchoThePassword(String url) {
        assertThatThrownBy(() -> ConnectionSettings.parse(url))
                .isInstanceOfSatisfying(DbToolException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
                    assertThat(e.getMessage()).doesNotContain("Sup3rSecretPw").doesNotContain("\n");
                });
    }

    /** A typo in the port must not silently send the data to localhost:5432. */
    @Test
    void invalidPortIsRefusedNotReplacedByLocalhost() {
        assertThatThrownBy(() -> ConnectionSettings.parse("postgresql://prod-db:54x2/sales"))
                .isInstanceOfSatisfying(DbToolException.class,
                        e -> assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE));
    }

    @Test
    void redactHidesThePasswordOnly() {
        assertThat(ConnectionSettings.redact("postgresql://u:secret@db:5432/x")).isEqualTo("postgresql://u:***@db:5432/x");
        assertThat(ConnectionSettings.redact("postgresql://db:5432/x")).isEqualTo("postgresql://db:5432/x");
    }

    @Test
    void urlParametersUserPasswordAndSslmodeAreHonoured() {
        ConnectionSettings c = ConnectionSettings.parse("postgresql://db.example:6543/app?user=ops&password=s3cret&sslmode=require");
        assertThat(c.user()).isEqualTo("ops");
        assertThat(c.password()).isEqualTo("s3cret");
        assertThat(c.sslmode()).isEqualTo("require");
        assertThat(c.toString()).doesNotContain("s3cret");
    }

    @Test
    void unknownUrlParameterOrBadSslmodeIsAUsageErrorWithoutThePassword() {
        assertThatThrownBy(() -> ConnectionSettings.parse("postgresql://h/app?password=s3cret&applicationname=x"))
                .isInstanceOf(dbtool.DbToolException.class)
                .hasMessageContaining("unsupported parameter 'applicationname'").hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> ConnectionSettings.parse("postgresql://h/app?sslmode=bogus"))
                .isInstanceOf(dbtool.DbToolException.class).hasMessageContaining("verify-full");
    }
}
