package dbtool.pg;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One line of pg_dump / pg_restore output, typed. The tools run under a fixed message locale (see
 * {@link PgProcess}), so their English prefixes can be recognised here, in one place, instead of every caller
 * searching the text for "error:" or "No space left".
 */
public sealed interface PgEvent {

    /** The raw line as the tool printed it (UTF-8), for -v. */
    String line();

    /** {@code finished item <dumpId> <description> <tag>}: that item's work is done (parallel mode). */
    record ItemFinished(String line, int dumpId, String description) implements PgEvent {

        public boolean isTableData() {
            return description.equals(TocListing.TABLE_DATA);
        }
    }

    /** {@code dumping contents of table "s.t"}: a table's COPY starts (the only progress line of a -j1 pg_dump). */
    record TableDumpStarted(String line) implements PgEvent {}

    /** An error the tool reports; it may go on (pg_restore does) or stop. */
    record Error(String line) implements PgEvent {}

    /** Writing failed because the disk is full. */
    record DiskFull(String line) implements PgEvent {}

    record Warning(String line) implements PgEvent {}

    /** Anything else: verbose progress, details of an error ("Command was: ..."). */
    record Info(String line) implements PgEvent {}

    /** The tool's own name in front of its messages, e.g. {@code pg_dump: } or {@code pg_restore: }. */
    Pattern PREFIX = Pattern.compile("^pg_(?:dump|restore|dumpall): ");
    Pattern FINISHED = Pattern.compile("^pg_(?:dump|restore): finished item (\\d+) ("
            + TocListing.TABLE_DATA + "|" + TocListing.MATERIALIZED_VIEW_DATA + "|[A-Z][A-Z ]*?) ");

    static PgEvent parse(String line) {
        if (line.contains("No space left on device")) {
            return new DiskFull(line);
        }
        Matcher finished = FINISHED.matcher(line);
        if (finished.find()) {
            return new ItemFinished(line, Integer.parseInt(finished.group(1)), finished.group(2));
        }
        String message = PREFIX.matcher(line).replaceFirst("");
        if (message.startsWith("error: ") || message.startsWith("fatal: ") || line.startsWith("ERROR:")
                || line.startsWith("FATAL:")) {
            return new Error(line);
        }
        if (message.startsWith("warning: ")) {
            return new Warning(line);
        }
        if (message.startsWith("dumping contents of table ")) {
            return new TableDumpStarted(line);
        }
        return new Info(line);
    }
}
