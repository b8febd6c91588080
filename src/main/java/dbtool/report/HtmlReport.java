package dbtool.report;

import dbtool.backup.TableDrift;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongFunction;

/**
 * Renders a {@link HealthReport} as one self-contained HTML page: inline CSS and inline SVG charts drawn here, no
 * script, no fonts, no images, nothing fetched (its Content-Security-Policy forbids loading anything), so it can be
 * mailed, archived or opened offline.
 */
public final class HtmlReport {
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("MMM d", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter MINUTE =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);

    private static final int WIDTH = 560;
    private static final int HEIGHT = 210;
    private static final int LEFT = 64;
    private static final int RIGHT = 16;
    private static final int TOP = 28;
    private static final int BOTTOM = 34;

    private HtmlReport() {
    }

    public static String render(HealthReport report) {
        Instant now = Instant.parse(report.generatedAt());
        Instant from = now.minus(Duration.ofDays(report.days()));
        StringBuilder html = new StringBuilder();
        html.append("""
                <!DOCTYPE html>
                <html lang="en">
                <head>
                <meta charset="utf-8">
                <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <title>dbtool backup report</title>
                <style>
                body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
                header{background:#1d2330;color:#fff;padding:18px 28px}
                header h1{margin:0;font-size:20px;font-weight:600}
                header p{margin:4px 0 0;color:#b8c0d0}
                main{padding:20px 28px;max-width:1220px}
                section{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:16px 20px;margin:0 0 20px}
                h2{margin:0 0 8px;font-size:18px}
                h3{margin:16px 0 6px;font-size:14px;color:#4a5568}
                table{border-collapse:collapse;width:100%;font-size:13px}
                th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef0f4;white-space:nowrap}
                th{color:#4a5568;font-weight:600}
                td.num{text-align:right;font-variant-numeric:tabular-nums}
                .badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}
                .ok{background:#e3f5e9;color:#1e7b3c}.bad{background:#fde8e6;color:#b42318}
                ul.warnings{margin:6px 0 10px;padding:0;list-style:none}
                ul.warnings li{background:#fff4e5;border-left:4px solid #e8890c;padding:6px 10px;margin:4px 0}
                .charts{display:flex;flex-wrap:wrap;gap:12px}
                .charts svg{background:#fbfcfd;border:1px solid #eef0f4;border-radius:6px}
                .legend{font-size:12px;color:#4a5568;margin:6px 0}
                .legend svg{vertical-align:middle;margin:0 4px 0 12px}
                .muted{color:#718096}
                .remove{color:#b42318}
                </style>
                </head>
                <body>
                """);
        html.append("<header><h1>Backup health</h1><p>generated ").append(MINUTE.format(now)).append(" &middot; last ")
                .append(report.days()).append(" days &middot; ").append(report.projects().size())
                .append(" project(s)</p></header>\n<main>\n");
        summary(html, report, now);
        for (HealthReport.Project p : report.projects()) {
            project(html, p, from, now);
        }
        html.append("</main>\n</body>\n</html>\n");
        return html.toString();
    }

    private static void summary(StringBuilder html, HealthReport report, Instant now) {
        html.append("<section id=\"summary\"><h2>Summary</h2><table><thead><tr><th>project</th><th>health</th>"
                + "<th>newest backup</th><th class=\"num\">archives</th><th class=\"num\">size</th>"
                + "<th class=\"num\">rows</th></tr></thead><tbody>\n");
        for (HealthReport.Project p : report.projects()) {
            HealthReport.Point newest = newestArchive(p);
            html.append("<tr><td><a href=\"#project-").append(esc(p.project())).append("\">").append(esc(p.project()))
                    .append("</a></td><td>").append(p.warnings().isEmpty() ? "<span class=\"badge ok\">ok</span>"
                            : "<span class=\"badge bad\">" + p.warnings().size() + " warning(s)</span>")
                    .append("</td><td>").append(p.newestArchiveAt() == null ? "none"
                            : MINUTE.format(Instant.parse(p.newestArchiveAt())) + " <span class=\"muted\">("
                            + age(Duration.between(Instant.parse(p.newestArchiveAt()), now)) + " ago)</span>")
                    .append("</td><td class=\"num\">").append(p.archives()).append("</td><td class=\"num\">")
                    .append(newest == null ? "" : bytes(newest.sizeBytes())).append("</td><td class=\"num\">")
                    .append(newest == null || newest.rows() == null ? "" : count(newest.rows())).append("</td></tr>\n");
        }
        html.append("</tbody></table></section>\n");
    }

    private static HealthReport.Point newestArchive(HealthReport.Project p) {
        for (int i = p.points().size() - 1; i >= 0; i--) {
            if (p.points().get(i).status() != HealthReport.Status.FAILED) {
                return p.points().get(i);
            }
        }
        return null;
    }

    private static void project(StringBuilder html, HealthReport.Project p, Instant from, Instant now) {
        html.append("<section id=\"project-").append(esc(p.project())).append("\"><h2>").append(esc(p.project()))
                .append(" <span class=\"muted\" style=\"font-size:13px;font-weight:400\">").append(esc(p.dir()))
                .append("</span></h2>\n");
        if (!p.warnings().isEmpty()) {
            html.append("<ul class=\"warnings\">");
            p.warnings().forEach(w -> html.append("<li class=\"warn\">").append(esc(w)).append("</li>"));
            html.append("</ul>\n");
        }
        List<Marker> size = new ArrayList<>();
        List<Marker> rows = new ArrayList<>();
        for (HealthReport.Point pt : p.points()) {
            String tip = MINUTE.format(pt.instant()) + " " + pt.status().wireName()
                    + (pt.archive() == null ? "" : " " + pt.archive())
                    + (pt.error() == null ? "" : ": " + pt.error())
                    + (pt.drift().isEmpty() ? "" : "; " + String.join("; ", pt.drift().stream().map(TableDrift::describe).toList()));
            size.add(new Marker(pt.instant(), pt.sizeBytes(), pt.status(), tip + (pt.sizeBytes() == null ? "" : ", " + bytes(pt.sizeBytes()))));
            rows.add(new Marker(pt.instant(), pt.rows(), pt.status(), tip + (pt.rows() == null ? "" : ", " + count(pt.rows()) + " rows")));
        }
        html.append("<div class=\"charts\">");
        chart(html, "Archive size", size, from, now, HtmlReport::bytes, true);
        chart(html, "Total rows", rows, from, now, HtmlReport::count, false);
        html.append("</div>\n");
        legend(html);
        if (!p.driftedTables().isEmpty()) {
            html.append("<h3>Tables that drifted: rows per backup</h3><div class=\"charts\">");
            for (HealthReport.TableSeries series : p.driftedTables()) {
                List<Marker> markers = series.points().stream().map(t -> new Marker(t.instant(), t.rows() == null ? 0L : t.rows(),
                        t.status(), MINUTE.format(t.instant()) + " " + t.archive() + ": "
                        + (t.rows() == null ? "table missing" : count(t.rows()) + " rows"))).toList();
                chart(html, series.table(), markers, from, now, HtmlReport::count, false);
            }
            html.append("</div>\n");
        }
        html.append("<h3>Retention plan: what the next prune keeps</h3>");
        if (p.retention().isEmpty()) {
            html.append("<p class=\"muted\">no archives</p>\n");
        } else {
            html.append("<table class=\"retention\"><thead><tr><th>archive</th><th></th><th>why</th></tr></thead><tbody>\n");
            for (HealthReport.PlanRow row : p.retention()) {
                html.append("<tr><td>").append(esc(row.archive())).append("</td><td>")
                        .append(row.keep() ? "keep" : "<span class=\"remove\">remove</span>").append("</td><td>")
                        .append(esc(String.join(", ", row.reasons()))).append("</td></tr>\n");
            }
            html.append("</tbody></table>\n");
        }
        html.append("<h3>Backups in the last days, newest first</h3>");
        if (p.points().isEmpty()) {
            html.append("<p class=\"muted\">none</p>\n");
        } else {
            html.append("<table class=\"runs\"><thead><tr><th>time</th><th>status</th><th>archive</th>"
                    + "<th class=\"num\">size</th><th class=\"num\">rows</th><th>note</th></tr></thead><tbody>\n");
            for (int i = p.points().size() - 1; i >= 0; i--) {
                HealthReport.Point pt = p.points().get(i);
                String note = pt.error() != null ? pt.error()
                        : String.join("; ", pt.drift().stream().map(TableDrift::describe).toList());
                html.append("<tr><td>").append(MINUTE.format(pt.instant())).append("</td><td>")
                        .append(markerSvg(pt.status(), 10)).append(' ').append(pt.status().wireName()).append("</td><td>")
                        .append(esc(pt.archive() == null ? "" : pt.archive())).append("</td><td class=\"num\">")
                        .append(pt.sizeBytes() == null ? "" : bytes(pt.sizeBytes())).append("</td><td class=\"num\">")
                        .append(pt.rows() == null ? "" : count(pt.rows())).append("</td><td style=\"white-space:normal\">")
                        .append(esc(note)).append("</td></tr>\n");
            }
            html.append("</tbody></table>\n");
        }
        html.append("</section>\n");
    }

    private static void legend(StringBuilder html) {
        html.append("<div class=\"legend\">");
        for (HealthReport.Status s : HealthReport.Status.values()) {
            html.append(markerSvg(s, 12)).append(s.wireName());
        }
        html.append("</div>\n");
    }

    /** A point of a chart; {@code value} null for a failed run, drawn on the time axis. */
    private record Marker(Instant time, Long value, HealthReport.Status status, String tooltip) {}

    private static void chart(StringBuilder svg, String title, List<Marker> markers, Instant from, Instant to,
            LongFunction<String> label, boolean binary) {
        long max = markers.stream().filter(m -> m.value() != null).mapToLong(Marker::value).max().orElse(0);
        long top = binary ? niceBytesCeiling(max) : niceCeiling(max);
        double plotW = WIDTH - LEFT - RIGHT;
        double plotH = HEIGHT - TOP - BOTTOM;
        double span = Math.max(1, Duration.between(from, to).getSeconds());
        svg.append("<svg class=\"chart\" width=\"").append(WIDTH)
                .append("\" height=\"").append(HEIGHT).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ')
                .append(HEIGHT).append("\" role=\"img\" aria-label=\"").append(esc(title)).append("\">");
        svg.append("<text x=\"").append(LEFT).append("\" y=\"18\" font-size=\"13\" font-weight=\"600\" fill=\"#1d2330\">")
                .append(esc(title)).append("</text>");
        for (int i = 0; i <= 4; i++) {
            double y = TOP + plotH - plotH * i / 4;
            svg.append("<line x1=\"").append(LEFT).append("\" x2=\"").append(WIDTH - RIGHT).append("\" y1=\"")
                    .append(fmt(y)).append("\" y2=\"").append(fmt(y)).append("\" stroke=\"")
                    .append(i == 0 ? "#a0aec0" : "#e2e8f0").append("\"/>");
            svg.append("<text x=\"").append(LEFT - 6).append("\" y=\"").append(fmt(y + 4))
                    .append("\" font-size=\"11\" fill=\"#718096\" text-anchor=\"end\">")
                    .append(esc(label.apply(top * i / 4))).append("</text>");
        }
        int ticks = 5;
        for (int i = 0; i <= ticks; i++) {
            Instant t = from.plusSeconds((long) (span * i / ticks));
            double x = LEFT + plotW * i / ticks;
            svg.append("<text x=\"").append(fmt(x)).append("\" y=\"").append(HEIGHT - 12)
                    .append("\" font-size=\"11\" fill=\"#718096\" text-anchor=\"middle\">").append(DAY.format(t))
                    .append("</text>");
        }
        if (markers.isEmpty()) {
            svg.append("<text x=\"").append(fmt(LEFT + plotW / 2)).append("\" y=\"").append(fmt(TOP + plotH / 2))
                    .append("\" font-size=\"12\" fill=\"#718096\" text-anchor=\"middle\">no backups in this period</text>");
        }
        StringBuilder line = new StringBuilder();
        for (Marker m : markers) {
            if (m.value() != null) {
                line.append(line.length() == 0 ? "" : " ").append(fmt(x(m, from, span, plotW))).append(',')
                        .append(fmt(y(m.value(), top, plotH)));
            }
        }
        if (line.length() > 0) {
            svg.append("<polyline fill=\"none\" stroke=\"#4c6ef5\" stroke-width=\"1.5\" points=\"").append(line)
                    .append("\"/>");
        }
        for (Marker m : markers) {
            double x = x(m, from, span, plotW);
            double y = m.value() == null ? TOP + plotH : y(m.value(), top, plotH);
            svg.append(marker(m.status(), x, y, 5, m.tooltip()));
        }
        svg.append("</svg>");
    }

    private static double x(Marker m, Instant from, double span, double plotW) {
        double share = Duration.between(from, m.time()).getSeconds() / span;
        return LEFT + plotW * Math.max(0, Math.min(1, share));
    }

    private static double y(long value, long top, double plotH) {
        return TOP + plotH - (top == 0 ? 0 : plotH * value / top);
    }

    /** verified: green dot; unverified: hollow grey ring; drift: orange diamond; failed: red cross. */
    private static String marker(HealthReport.Status status, double x, double y, double r, String tooltip) {
        String title = tooltip == null ? "" : "<title>" + esc(tooltip) + "</title>";
        String cls = "pt pt-" + status.wireName();
        return switch (status) {
            case VERIFIED -> "<circle class=\"" + cls + "\" cx=\"" + fmt(x) + "\" cy=\"" + fmt(y) + "\" r=\"" + fmt(r)
                    + "\" fill=\"#2f9e44\">" + title + "</circle>";
            case UNVERIFIED -> "<circle class=\"" + cls + "\" cx=\"" + fmt(x) + "\" cy=\"" + fmt(y) + "\" r=\""
                    + fmt(r - 1) + "\" fill=\"#fff\" stroke=\"#718096\" stroke-width=\"2\">" + title + "</circle>";
            case DRIFT -> "<path class=\"" + cls + "\" d=\"M" + fmt(x) + " " + fmt(y - r - 2) + " L" + fmt(x + r + 2)
                    + " " + fmt(y) + " L" + fmt(x) + " " + fmt(y + r + 2) + " L" + fmt(x - r - 2) + " " + fmt(y)
                    + " Z\" fill=\"#e8890c\">" + title + "</path>";
            case FAILED -> "<path class=\"" + cls + "\" d=\"M" + fmt(x - r) + " " + fmt(y - r) + " L" + fmt(x + r) + " "
                    + fmt(y + r) + " M" + fmt(x + r) + " " + fmt(y - r) + " L" + fmt(x - r) + " " + fmt(y + r)
                    + "\" stroke=\"#e03131\" stroke-width=\"2.5\" fill=\"none\">" + title + "</path>";
        };
    }

    private static String markerSvg(HealthReport.Status status, int size) {
        double c = size / 2.0 + 1;
        return "<svg width=\"" + (size + 2) + "\" height=\"" + (size + 2)
                + "\" aria-hidden=\"true\">" + marker(status, c, c, size / 2.0 - 1, null).replace("class=\"pt pt-", "class=\"key key-")
                + "</svg>";
    }

    /** 1, 2, 4, 5 or 8 times a power of ten, at least {@code max}, so axis labels are round. */
    static long niceCeiling(long max) {
        if (max <= 0) {
            return 4;
        }
        long power = 1;
        while (power * 10 <= max) {
            power *= 10;
        }
        for (long step : new long[] {1, 2, 4, 5, 8, 10}) {
            if (step * power >= max) {
                return Math.max(4, step * power);
            }
        }
        return max;
    }

    /** The same in KiB, MiB, ... so that the size axis reads 40 KiB, not 48.8 KiB. */
    static long niceBytesCeiling(long max) {
        long unit = 1;
        while (unit * 1024 <= max && unit < (1L << 40)) {
            unit *= 1024;
        }
        return niceCeiling((max + unit - 1) / unit) * unit;
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int i = -1;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : "%.1f %s", v, units[i]);
    }

    static String count(long n) {
        if (n < 10_000) {
            return Long.toString(n);
        }
        if (n < 10_000_000) {
            return String.format(Locale.ROOT, "%.1fk", n / 1000.0).replace(".0k", "k");
        }
        return String.format(Locale.ROOT, "%.1fM", n / 1_000_000.0).replace(".0M", "M");
    }

    private static String age(Duration d) {
        long h = d.toHours();
        return h < 1 ? d.toMinutes() + " min" : h < 48 ? h + " h" : h / 24 + " days";
    }

    static String esc(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
