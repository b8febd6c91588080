package dbtool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.Reporter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The progress line as text (pure), its thread, and when CliReporter shows it at all. */
class ProgressLineTest {

    private static final long MIB = 1 << 20;

    @Test
    void bytesWithPercentBarEtaAndTables() {
        String line = new ProgressLine("exporting", "B", 25 * MIB, 100 * MIB, 10_000, "3 of 8 tables").render(100);
        assertThat(line).isEqualTo("exporting  25% [========>                       ]"
                + " 25.0 MiB of 100.0 MiB  ETA 0:00:30  3 of 8 tables");
        assertThat(line.length()).isLessThan(100);
    }

    @Test
    void noEtaWhileTheRateSaysNothingYet() {
        assertThat(new ProgressLine("exporting", "B", 5 * MIB, 100 * MIB, 1_500, "").render(100)).doesNotContain("ETA");
        assertThat(new ProgressLine("exporting", "B", 0, 100 * MIB, 60_000, "").render(100)).doesNotContain("ETA");
    }

    @Test
    void progressThatMovesATableAtATimeShowsTheTimeSpentNotAnEta() {
        assertThat(new ProgressLine("restoring", "B", 1 * MIB, 70 * MIB, 65_000, "3 of 4 tables", false).render(100))
                .endsWith("1.0 MiB of 70.0 MiB  0:01:05  3 of 4 tables");
    }

    @Test
    void finishedShowsTheTimeItTookNotAnEta() {
        String line = new ProgressLine("restoring", "B", 7 * MIB, 7 * MIB, 65_000, "8 of 8 tables").render(100);
        assertThat(line).startsWith("restoring 100% [====================================]")
                .endsWith("7.0 MiB of 7.0 MiB  in 0:01:05  8 of 8 tables");
    }

    @Test
    void countsAndUnknownTotals() {
        assertThat(new ProgressLine("checking row counts", " tables", 3, 8, 500, "").render(120))
                .isEqualTo("checking row counts  37% [===============>                        ] 3 of 8 tables");
        assertThat(new ProgressLine("batch", " rows", 1200, 0, 3_723_000, "").render(80)).isEqualTo("batch 1200 rows  1:02:03");
    }

    @Test
    void neverWiderThanTheTerminal() {
        for (int width : new int[] {20, 40, 60, 80}) {
            String line = new ProgressLine("building indexes", " items", 5, 9, 9_000, "").render(width);
            assertThat(line.length()).as("width %d: %s", width, line).isLessThan(width);
        }
        assertThat(new ProgressLine("exporting", "B", 1, 2, 0, "").render(30)).isEqualTo("exporting  50% 1 B of 2 B");
    }

    private static Reporter.Progress fixed(AtomicLong done, long total) {
        return Reporter.Progress.of(done::get, total);
    }

    @Test
    void closeJoinsTheRedrawThreadThenDrawsTheFinalStateOnce() {
        StringWriter out = new StringWriter();
        AtomicLong done = new AtomicLong(10);
        AtomicLong clock = new AtomicLong(1_000);
        TerminalProgress bar = new TerminalProgress(new PrintWriter(out), "restoring", " tables", fixed(done, 20),
                clock::get, 100);
        done.set(20);
        clock.addAndGet(4_000);
        bar.close();
        assertThat(bar.redrawing()).as("no redraw can follow the summary").isFalse();
        String screen = out.toString();
        String last = screen.substring(screen.lastIndexOf('\r') + 1);
        assertThat(last).startsWith("restoring 100% ").endsWith("20 of 20 tables  in 0:00:04\n");
        // The redraw thread may draw 100% itself before close() (it runs every 100 ms): only the summary ends a line,
        // so one newline, at the very end, means the summary is drawn once and nothing is drawn after it.
        assertThat(screen.indexOf('\n')).as("the summary is drawn once, last").isEqualTo(screen.length() - 1);
    }

    private static String run(boolean quiet, boolean terminal, boolean progressAllowed) {
        StringWriter out = new StringWriter();
        CliReporter reporter = new CliReporter(new PrintWriter(out), quiet, false, progressAllowed, LogFormat.TEXT, terminal);
        reporter.progressStart("exporting", "B", fixed(new AtomicLong(5), 10));
        reporter.warn("something to say");
        reporter.progressStep(1);
        reporter.progressEnd();
        reporter.progressStart("checking row counts", 3, " tables");
        reporter.progressStep(3);
        reporter.progressEnd();
        return out.toString();
    }

    @Test
    void aMessageDuringTheBarGetsALineOfItsOwnAndTheBarEndsItsLine() {
        String screen = run(false, true, true);
        assertThat(screen).contains("\rwarning: something to say\n", "checking row counts 100% ");
        assertThat(screen).endsWith("3 of 3 tables  in 0:00:00\n");
    }

    @Test
    void noProgressOutputWithoutATerminalOrWithQuiet() {
        assertThat(run(false, false, true)).doesNotContain("exporting", "checking", "\r").contains("warning something to say");
        assertThat(run(true, true, false)).doesNotContain("exporting", "checking", "\r").contains("something to say");
        assertThat(Terminal.interactive()).as("surefire's forked JVM has no terminal").isFalse();
    }

    @Test
    void withoutATerminalEveryLineIsStampedToATenthOfASecond() {
        StringWriter out = new StringWriter();
        new CliReporter(new PrintWriter(out), false, true, true, LogFormat.TEXT, false).detail("pg_dump started");
        assertThat(out.toString()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\dZ detail pg_dump started\\R");
    }
}
