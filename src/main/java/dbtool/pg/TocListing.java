package dbtool.pg;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.config.ConnectionSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a pg_dump directory holds, as {@code pg_restore --list} prints it: lines like
 * {@code 3343; 0 16390 TABLE DATA public cat_lovers postgres}. Names are not quoted there, so an
 * entry is matched by the schema and name it starts with.
 */
public record TocListing(List<Entry> entries, List<String> extensions) {

    public static final String TABLE = "TABLE";
    public static final String TABLE_DATA = "TABLE DATA";
    public static final String MATERIALIZED_VIEW = "MATERIALIZED VIEW";
    public static final String MATERIALIZED_VIEW_DATA = "MATERIALIZED VIEW DATA";

    /** Longer descriptions first: "TABLE DATA" must not be read as "TABLE". */
    private static final List<String> DESCRIPTIONS = List.of(TABLE_DATA, MATERIALIZED_VIEW_DATA, TABLE, MATERIALIZED_VIEW);

    /**
     * One line of the listing.
     *
     * @param rest "schema name owner " after the description, with a trailing space for prefix matching
     */
    public record Entry(String dumpId, String description, String rest) {

        public boolean names(String schema, String name) {
            return rest.startsWith(schema + " " + name + " ");
        }

        /** What {@link #rest} is for the entry of this relation: its schema, name and owner. */
        public static String restOf(String schema, String name, String owner) {
            return schema + " " + name + " " + owner + " ";
        }
    }

    public static TocListing read(PgTool pgRestore, Path dumpDir, ConnectionSettings connection) {
        List<String> lines = new ArrayList<>();
        PgProcess.Result result = new PgProcess(pgRestore, List.of("--list", dumpDir.toString()), connection, lines::add).run();
        if (result.exitCode() != 0) {
            throw new DbToolException(ExitCode.RUNTIME, "pg_restore --list could not read the dump in " + dumpDir + ": "
                    + String.join(" ", result.lastLines()));
        }
        return parse(lines);
    }

    /** Keeps the table and materialized view entries, definitions and data, and the extensions' names; the rest is not needed. */
    public static TocListing parse(List<String> lines) {
        List<Entry> entries = new ArrayList<>();
        List<String> extensions = new ArrayList<>();
        for (String line : lines) {
            int semicolon = line.indexOf(';');
            if (line.startsWith(";") || semicolon < 0) {
                continue;
            }
            // "2; 3079 16430 EXTENSION - citext ": the description follows the two OIDs; a comment on
            // an extension ("COMMENT - EXTENSION citext") is not one.
            String[] head = line.substring(semicolon + 1).strip().split(" ", 3);
            if (head.length == 3 && head[2].startsWith("EXTENSION - ")) {
                extensions.add(head[2].substring("EXTENSION - ".length()).strip().split(" ")[0]);
                continue;
            }
            for (String description : DESCRIPTIONS) {
                int at = line.indexOf(" " + description + " ");
                if (at >= 0) {
                    entries.add(new Entry(line.substring(0, semicolon).strip(), description,
                            line.substring(at + description.length() + 2) + " "));
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
}
