package dbtool.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class HtmlReportTest {

    @Test
    void axisTopsAreRoundAndLabelsShort() {
        assertThat(HtmlReport.niceCeiling(0)).isEqualTo(4);
        assertThat(HtmlReport.niceCeiling(8500)).isEqualTo(10_000);
        assertThat(HtmlReport.niceCeiling(1200)).isEqualTo(2000);
        assertThat(HtmlReport.niceCeiling(4100)).isEqualTo(5000);
        assertThat(HtmlReport.count(2500)).isEqualTo("2500");
        assertThat(HtmlReport.count(25_000)).isEqualTo("25k");
        assertThat(HtmlReport.count(12_500_000)).isEqualTo("12.5M");
        assertThat(HtmlReport.bytes(55_882)).isEqualTo("54.6 KiB");
        assertThat(HtmlReport.niceBytesCeiling(35_000)).isEqualTo(40 * 1024);
        assertThat(HtmlReport.niceBytesCeiling(3L << 30)).isEqualTo(4L << 30);
    }

    @Test
    void textFromFilesAndErrorsIsEscaped() {
        HealthReport report = new HealthReport("2026-12-01T03:00:00Z", 7, List.of(new HealthReport.Project(
                "shop", "/backups/<shop>", 0, null, null, List.of(new HealthReport.Point("2026-11-30T03:00:00Z",
                        HealthReport.Status.FAILED, null, null, null, false, 1, "server said <b>\"no\"</b> & left",
                        List.of())),
                List.of(), List.of(), List.of("failed: <script>alert(1)</script>"), null, 0)));
        String html = HtmlReport.render(report);
        assertThat(html).doesNotContain("<script", "<b>", "/backups/<shop>")
                .contains("&lt;script&gt;alert(1)&lt;/script&gt;", "server said &lt;b&gt;&quot;no&quot;&lt;/b&gt; &amp; left",
                        "class=\"pt pt-failed\"");
    }
}
