package dbtool.backup;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BackupRunTest {

    @Test
    void throwawayNamesOfDifferentProjectsNeverShareAPrefix() {
        // The leftover cleanup drops <prefix><8 hex> under one project's lock; another project must never match it.
        assertThat(BackupRun.throwawayPrefix("shop")).isEqualTo("dbtool_verify_shop_");
        assertThat(BackupRun.throwawayPrefix("a.b")).isNotEqualTo(BackupRun.throwawayPrefix("a_b"))
                .startsWith("dbtool_verify_a_b_");
        assertThat(BackupRun.throwawayPrefix("Shop")).isNotEqualTo(BackupRun.throwawayPrefix("shop"));
        String longName = "p".repeat(60);
        assertThat(BackupRun.throwawayPrefix(longName)).isNotEqualTo(BackupRun.throwawayPrefix(longName + "x"));
        assertThat(BackupRun.throwawayName(longName + ".x")).matches("dbtool_verify_p{32}_[0-9a-f]{6}_[0-9a-f]{8}")
                .hasSizeLessThanOrEqualTo(63);
    }
}
