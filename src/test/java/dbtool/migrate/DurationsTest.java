package dbtool.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void subSecondDurationsAreMillisecondsNotZero() {
        assertThat(Durations.format(Duration.ofMillis(500))).isEqualTo("500ms");
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1s500ms");
    }

    @Test
    void largerDurationsUseEveryNonZeroUnit() {
        assertThat(Durations.format(Duration.ofSeconds(2))).isEqualTo("2s");
        assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThat(Durations.format(Duration.ofMinutes(125))).isEqualTo("2h5m");
        assertThat(Durations.format(Duration.ofDays(7))).isEqualTo("7d");
        assertThat(Durations.format(Duration.ofDays(400).plusHours(1))).isEqualTo("400d1h");
    }

    @Test
    void zeroAndNegativeAreZeroSeconds() {
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
        assertThat(Durations.format(Duration.ofNanos(300))).isEqualTo("0s");
        assertThat(Durations.format(Duration.ofSeconds(-5))).isEqualTo("0s");
    }
}
