package dbtool;

/**
 * Where the core tells the user what is happening. The CLI decides how it looks (progress bar on a
 * terminal, timestamped lines in cron, nothing with -q); the core never prints by itself.
 */
public interface Reporter {

    void info(String message);

    void warn(String message);

    /** Only shown with -v. */
    void detail(String message);

    /**
     * A milestone a log collector may want to match on ({@code --log-format json}: {@code event} and {@code fields}
     * become the line's keys); as text it is the message. Level is "info" or "warning".
     */
    default void event(String level, String event, String message, java.util.Map<String, Object> fields) {
        if (level.equals("warning")) {
            warn(message);
        } else {
            info(message);
        }
    }

    /** A unit of work with a known size started (tables to dump, bytes to pack); 0 total means unknown. */
    default void progressStart(String task, long total, String unit) {}

    default void progressStep(long delta) {}

    /** Bytes written so far by work that runs beside the current progress (packing beside pg_dump). */
    default void progressBytes(long bytesSoFar) {}

    default void progressEnd() {}

    Reporter SILENT = new Reporter() {
        @Override
        public void info(String message) {}

        @Override
        public void warn(String message) {}

        @Override
        public void detail(String message) {}
    };
}
