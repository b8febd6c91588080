package dbtool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ScheduleCommandTest {

    @Test
    void installReplacesOnlyItsOwnLineAndIsIdempotent() {
        String existing = "MAILTO=ops@example.com\n0 1 * * * /usr/bin/other-job\n";
        String once = ScheduleCommand.updatedCrontab(existing, "# dbtool schedule: shop", "0 3 * * * cd / && run shop");
        String twice = ScheduleCommand.updatedCrontab(once, "# dbtool schedule: shop", "30 4 * * * cd / && run shop");
        String other = ScheduleCommand.updatedCrontab(twice, "# dbtool schedule: blog", "0 3 * * * cd / && run blog");

        assertThat(once).isEqualTo(existing + "# dbtool schedule: shop\n0 3 * * * cd / && run shop\n");
        assertThat(ScheduleCommand.updatedCrontab(once, "# dbtool schedule: shop", "0 3 * * * cd / && run shop"))
                .isEqualTo(once);
        assertThat(twice).isEqualTo(existing + "# dbtool schedule: shop\n30 4 * * * cd / && run shop\n");
        assertThat(other).isEqualTo(twice + "# dbtool schedule: blog\n0 3 * * * cd / && run blog\n");
    }

    @Test
    void emptyCrontabGetsJustTheEntry() {
        assertThat(ScheduleCommand.updatedCrontab("", "# m", "line")).isEqualTo("# m\nline\n");
    }

    @Test
    void wordsAreQuotedForShAndPercentIsEscapedForCron() {
        assertThat(ScheduleCommand.quote("/usr/bin/java")).isEqualTo("/usr/bin/java");
        assertThat(ScheduleCommand.quote("/home/me/my backups")).isEqualTo("'/home/me/my backups'");
        assertThat(ScheduleCommand.quote("it's")).isEqualTo("'it'\\''s'");
        assertThat(ScheduleCommand.quote("/data/100%")).isEqualTo("'/data/100\\%'");
    }
}
