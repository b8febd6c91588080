package dbtool.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
    @Test
    void doublesUpToTheMaximum() {
        Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(5));
        assertThat(b.delay(0)).isEqualTo(Duration.ofSeconds(1));
        assertThat(b.delay(1)).isEqualTo(Duration.ofSeconds(2));
        assertThat(b.delay(2)).isEqualTo(Duration.ofSeconds(4));
        assertThat(b.delay(3)).isEqualTo(Duration.ofSeconds(5));
        assertThat(b.delay(60)).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void contractStepsAreRecognisedByFileName() {
        assertThat(PendingMigration.isContractScript("V5__contract_drop_cat_columns.sql")).isTrue();
        assertThat(PendingMigration.isContractScript("V5__drop_contract_columns.sql")).isFalse();
        assertThat(PendingMigration.isContractScript("V5__contracts.sql")).isFalse();
    }
}
