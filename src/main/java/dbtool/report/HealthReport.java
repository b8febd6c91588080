package dbtool.report;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dbtool.backup.TableDrift;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * What {@code backups report} shows, for the HTML page and {@code --json} alike. Times are ISO-8601 UTC strings.
 *
 * @param days how far back the charts reach
 */
public record HealthReport(
        @JsonProperty("generated_at") String generatedAt,
        @JsonProperty("days") int days,
        @JsonProperty("projects") List<Project> projects) {

    public HealthReport {
        projects = List.copyOf(projects);
    }

    /** False when a project's backups could not be read: the document says so first, like every failed command's. */
    @JsonProperty("ok")
    public boolean ok() {
        return projects.stream().allMatch(p -> p.error() == null);
    }

    /** How a backup ended, as marked in the charts. */
    public enum Status {
        VERIFIED, UNVERIFIED, DRIFT, FAILED;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        @com.fasterxml.jackson.annotation.JsonValue
        String json() {
            return wireName();
        }
    }

    /**
     * One backup in the window: an archive that exists, or a failed run from the history.
     *
     * @param archive file name, null for a failed run
     * @param rows total rows, null when unknown (failed run, unreadable manifest)
     */
    public record Point(
            @JsonProperty("time") String time,
            @JsonProperty("status") Status status,
            @JsonProperty("archive") String archive,
            @JsonProperty("size_bytes") Long sizeBytes,
            @JsonProperty("rows") Long rows,
            @JsonProperty("verified") boolean verified,
            @JsonProperty("exit_code") int exitCode,
            @JsonProperty("error") String error,
            @JsonProperty("drift") List<TableDrift> drift) {
        public Point {
            drift = List.copyOf(drift);
        }

        @JsonIgnore
        public Instant instant() {
            return Instant.parse(time);
        }
    }

    /** Rows of one table that drifted, per archive in the window. */
    public record TableSeries(
            @JsonProperty("table") String table,
            @JsonProperty("points") List<TablePoint> points) {
        public TableSeries {
            points = List.copyOf(points);
        }
    }

    /** @param rows null when the table is missing from that archive */
    public record TablePoint(
            @JsonProperty("time") String time,
            @JsonProperty("archive") String archive,
            @JsonProperty("status") Status status,
            @JsonProperty("rows") Long rows) {
        @JsonIgnore
        public Instant instant() {
            return Instant.parse(time);
        }
    }

    /** What the next prune does with one archive. */
    public record PlanRow(
            @JsonProperty("archive") String archive,
            @JsonProperty("created_at") String createdAt,
            @JsonProperty("keep") boolean keep,
            @JsonProperty("reasons") List<String> reasons) {
        public PlanRow {
            reasons = List.copyOf(reasons);
        }
    }

    /**
     * @param points the window's backups, oldest first
     * @param newestArchive newest archive's file name, null when there is none
     * @param warnings overdue, drift, unverified, last run failed: one sentence each
     */
    public record Project(
            @JsonProperty("project") String project,
            @JsonProperty("dir") String dir,
            @JsonProperty("archives") int archives,
            @JsonProperty("newest_archive") String newestArchive,
            @JsonProperty("newest_archive_at") String newestArchiveAt,
            @JsonProperty("points") List<Point> points,
            @JsonProperty("drifted_tables") List<TableSeries> driftedTables,
            @JsonProperty("retention") List<PlanRow> retention,
            @JsonProperty("warnings") List<String> warnings,
            @JsonProperty("error") String error,
            @JsonProperty("exit_code") int exitCode) {
        public Project {
            points = List.copyOf(points);
            driftedTables = List.copyOf(driftedTables);
            retention = List.copyOf(retention);
            warnings = List.copyOf(warnings);
        }

        /** A project whose backups could not be read at all (bucket unreachable, credentials refused). */
        static Project unreadable(String project, String dir, String error, int exitCode) {
            return new Project(project, dir, 0, null, null, List.of(), List.of(), List.of(),
                    List.of("unreadable: " + error), error, exitCode);
        }
    }
}
