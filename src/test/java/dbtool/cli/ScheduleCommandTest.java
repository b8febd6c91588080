package dbtool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    /** The crontab line must survive a Java upgrade: a stable link to the same java wins over the versioned path. */
    @Test
    void crontabNamesAStableLinkToTheSameJavaNotTheVersionedPath(@TempDir Path dir) throws IOException {
        Path versioned = Files.createDirectories(dir.resolve("jvm/java-17-openjdk-amd64/bin")).resolve("java");
        Files.writeString(versioned, "#!/bin/sh\n");
        versioned.toFile().setExecutable(true);
        Path other = Files.createDirectories(dir.resolve("jvm/java-21/bin")).resolve("java");
        Files.writeString(other, "#!/bin/sh\n");
        other.toFile().setExecutable(true);
        Path usrBinJava = Files.createSymbolicLink(dir.resolve("java"), versioned);
        Path elsewhere = Files.createSymbolicLink(dir.resolve("java21"), other);

        assertThat(ScheduleCommand.stableJava(versioned, List.of(elsewhere, usrBinJava))).isEqualTo(usrBinJava);
        assertThat(ScheduleCommand.stableJava(versioned, List.of(elsewhere, dir.resolve("missing"))))
                .as("no link to the same java: the real path, which works today").isEqualTo(versioned);
    }

    @Test
    void onThisMachineTheLineDoesNotPinAVersionedJdkWhenUsrBinJavaIsTheSameJava() throws IOException {
        Path running = Path.of(System.getProperty("java.home"), "bin", "java");
        Path usrBinJava = Path.of("/usr/bin/java");
        if (Files.isExecutable(usrBinJava) && usrBinJava.toRealPath().equals(running.toRealPath())) {
            assertThat(ScheduleCommand.stableJava(running, ScheduleCommand.STABLE_JAVA_LINKS)).isEqualTo(usrBinJava);
        }
    }
}
