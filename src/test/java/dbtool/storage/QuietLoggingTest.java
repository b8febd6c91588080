package dbtool.storage;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The AWS SDK logs through SLF4J; dbtool must stay silent on stderr (cron mails whatever a -q run prints). */
class QuietLoggingTest {

    @Test
    void slf4jIsVersionTwoSoItFindsTheNopProviderWithoutWarning() throws Exception {
        // slf4j-api 1.7 looks for org.slf4j.impl.StaticLoggerBinder, which slf4j-nop 2.x no longer has, and then
        // prints "Failed to load class" to stderr; 2.x finds the NOP provider through ServiceLoader, silently.
        assertThat(Class.forName("org.slf4j.spi.SLF4JServiceProvider")).isNotNull();
        assertThat(org.slf4j.LoggerFactory.getILoggerFactory().getClass().getName())
                .isEqualTo("org.slf4j.helpers.NOPLoggerFactory");
    }
}
