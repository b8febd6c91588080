package dbtool.pg;

import dbtool.config.ConnectionSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What a pg_dump directory holds, as {@code pg_restore --list} prints it: lines like
 * {@code 3343; 0 16390 TABLE DATA public cat_lovers postgres}. The second number is the object's oid in the source
 * database (for TABLE DATA the table's), which identifies a relation exactly whatever its name holds; names are
 * printed unquoted, with newlines replaced by spaces, so they are only compared as a fallback.
 */
public record TocListing(List<Entry> entries, List<String> extensions) {

    public static final String TABLE = "TABLE";
    public static final String TABLE_DATA = "TABLE DATA";
    public static final String MATERIALIZED_VIEW = "MATERIALIZED VIEW";
    public static final String MATERIALIZED_VIEW_DATA = "MATERIALIZED VIEW DATA";

    /** Longer descriptions first: "TABLE DATA" must not be read as "TABLE". */
    /** The post-data items a restore builds after the data (import's "building indexes" progress). */
    public static final List<String> POST_DATA = List.of("INDEX ATTACH", "INDEX", "FK CONSTRAINT", "CONSTRAINT",
            "TRIGGER", "RULE", "POLICY", "STATISTICS", MATERIALIZED_VIEW_DATA);

    private static final List<String> DESCRIPTIONS = Stream.concat(
            Stream.of(TABLE_DATA, MATERIALIZED_VIEW_DATA, TABLE, MATERIALIZED_VIEW), POST_DATA.stream()).distinct().toList();

    private static final Pattern LINE = Pattern.compile("^(\\d+); (\\d+) (\\d+) (.*)$");

    /**
     * One line of the listing.
     *
     * @param oid the source object's oid (for data entries, the relation's)
     * @param rest "schema name owner " after the description, with a trailing space for prefix matching
     */
    public record Entry(String dumpId, long oid, String description, String rest) {

        /** Whether the entry names this relation; pg_restore prints a newline in a name as a space. */
        public boolean names(String schema, String name) {
            return rest.startsWith(printed(schema) + " " + printed(name) + " ");
        }

        private static String printed(String name) {
            return name.replace("\r\n", " ").replace('\n', ' ').replace('\r', ' ');
        }
    }

    public static TocListing read(PgTool pgRestore, Path dumpDir, ConnectionSettings connection) {
        List<String> lines = new ArrayList<>();
        PgProcess.Result result = new PgProcess(pgRestore, List.of("--list", dumpDir.toString()), connection,
                event -> lines.add(event.line())).run();
        if (!result.ok()) {
            throw result.failure("pg_restore --list could not read the dump in " + dumpDir + ": " + result.firstError());
        }
        return parse(lines);
    }

    /** Keeps the table and materialized view entries, definitions and data, and the extensions' names; the rest is not needed. */
    public static TocListing parse(List<String> lines) {
        List<Entry> entries = new ArrayList<>();
        List<String> extensions = new ArrayList<>();
        for (String line : lines) {
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                continue;
            }
            String tail = m.group(4);
            // "2; 3079 16430 EXTENSION - citext ": the description follows the two OIDs; a comment on
            // an extension ("COMMENT - EXTENSION citext") is not one.
            if (tail.startsWith("EXTENSION - ")) {
                extensions.add(tail.substring("EXTENSION - ".length()).strip().split(" ")[0]);
                continue;
            }
            for (String description : DESCRIPTIONS) {
                if (tail.startsWith(description + " ")) {
                    entries.add(new Entry(m.group(1), Long.parseLong(m.group(3)), description,
                            tail.substring(description.length() + 1) + " "));
                    break;
                }
            }
        }
        return new TocListing(List.copyOf(entries), List.copyOf(extensions));
    }

    public boolean has(String schema, String name, String... descriptions) {
        List<String> wanted = List.of(descriptions);
        return entries.stream().anyMatch(e -> wanted.contains(e.description()) && e.names(schema, name));
    }

    /** Whether an entry of one of these kinds belongs to the relation with this oid. */
    public boolean has(long oid, String... descriptions) {
        List<String> wanted = List.of(descriptions);
        return entries.stream().anyMatch(e -> wanted.contains(e.description()) && e.oid() == oid);
    }
}
