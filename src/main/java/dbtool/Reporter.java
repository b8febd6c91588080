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

    /**
     * Work whose progress the reporter reads by itself, from another thread and as often as it redraws: the core only
     * keeps {@link Progress} up to date (bytes pg_dump has written, tables pg_restore has loaded).
     */
    default void progressStart(String task, String unit, Progress progress) {}

    /** What a progress display polls; every method must be cheap and safe to call from any thread. */
    interface Progress {
        long done();

        /** 0 when unknown. */
        long total();

        /** A short note after the counts ("3 of 8 tables"), or "". */
        default String detail() {
            return "";
        }

        /**
         * Whether done grows steadily enough for an ETA. Progress that moves a whole table at a time would stand
         * still through the biggest one while its ETA grows: such progress shows the time spent instead.
         */
        default boolean steady() {
            return true;
        }

        /** Progress towards a fixed total, read from {@code done}. */
        static Progress of(java.util.function.LongSupplier done, long total) {
            return new Progress() {
                @Override
                public long done() {
                    return done.getAsLong();
                }

                @Override
                public long total() {
                    return total;
                }
            };
        }
    }

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
