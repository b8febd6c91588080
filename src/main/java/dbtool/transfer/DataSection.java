package dbtool.transfer;

import dbtool.config.ConnectionSettings;
import dbtool.pg.PgProcess;
import dbtool.pg.PgTool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The data section of a dump, learned from its toc.dat alone: every entry as {@code pg_restore --list} prints it, and
 * for each TABLE DATA entry the very COPY statement pg_restore would send. Those come from pg_restore itself: it
 * prints them for a scratch directory holding the toc and an empty placeholder file per table, so quoting, column
 * lists and generated columns are exactly pg_restore's.
 *
 * @param lines the data section's entries in --list format, in TOC order
 * @param copyByDumpId each TABLE DATA entry's "COPY ... FROM stdin" (without the semicolon), by dump id
 * @param encoding the dump's client_encoding
 */
record DataSection(List<String> lines, Map<String, String> copyByDumpId, String encoding) {

    private static final Pattern LINE = Pattern.compile("^(\\d+); \\d+ \\d+ (.*)$");
    private static final Pattern ENCODING = Pattern.compile("^SET client_encoding = '([A-Za-z0-9_]+)';$");
    private static final String TABLE_DATA = "TABLE DATA ";

    /**
     * Reads the data section of the dump in {@code dumpDir} (toc.dat is enough), using {@code scratch} (an empty
     * directory) for the placeholders; empty when pg_restore's output is not what this expects, so the caller
     * restores the classic way instead.
     */
    static Optional<DataSection> read(PgTool pgRestore, Path dumpDir, Path scratch, ConnectionSettings connection)
            throws IOException {
        List<String> listed = run(pgRestore, List.of("--list", "--section=data", dumpDir.toString()), connection);
        if (listed == null) {
            return Optional.empty();
        }
        List<String> lines = new ArrayList<>();
        List<String> tableData = new ArrayList<>();
        for (String line : listed) {
            Matcher m = LINE.matcher(line);
            if (m.matches()) {
                lines.add(line);
                if (m.group(2).startsWith(TABLE_DATA)) {
                    tableData.add(m.group(1));
                }
            }
        }
        Files.copy(dumpDir.resolve(DumpPacker.TOC), scratch.resolve(DumpPacker.TOC));
        List<String> tableDataLines = new ArrayList<>();
        for (String line : lines) {
            Matcher m = LINE.matcher(line);
            if (m.matches() && m.group(2).startsWith(TABLE_DATA)) {
                Files.createFile(scratch.resolve(m.group(1) + ".dat"));
                tableDataLines.add(line);
            }
        }
        Path list = scratch.resolve("table-data.list");
        Files.write(list, tableDataLines);
        List<String> script = run(pgRestore, List.of("--data-only", "--file=-", "--use-list=" + list, scratch.toString()),
                connection);
        if (script == null) {
            return Optional.empty();
        }
        String encoding = null;
        List<String> copies = new ArrayList<>();
        for (String line : script) {
            Matcher e = ENCODING.matcher(line);
            if (e.matches()) {
                encoding = e.group(1);
            } else if (line.startsWith("COPY ") && line.endsWith(" FROM stdin;")) {
                copies.add(line.substring(0, line.length() - 1));
            }
        }
        // One statement per entry, in the list's order; anything else (a name with a newline in it) is not guessed at.
        if (encoding == null || copies.size() != tableData.size()) {
            return Optional.empty();
        }
        Map<String, String> copyByDumpId = new HashMap<>();
        for (int i = 0; i < copies.size(); i++) {
            copyByDumpId.put(tableData.get(i), copies.get(i));
        }
        return Optional.of(new DataSection(List.copyOf(lines), Map.copyOf(copyByDumpId), encoding));
    }

    /** The statement a loader sends: pg_restore's, with the dump's encoding (JDBC sessions speak UTF8). */
    String copyStatement(String dumpId) {
        String copy = copyByDumpId.get(dumpId);
        return encoding.equalsIgnoreCase("UTF8") ? copy : copy + " WITH (ENCODING '" + encoding + "')";
    }

    /** The entries not loaded by a loader (sequences' values, large objects, ...), for pg_restore -L. */
    List<String> linesExcept(Set<String> loadedDumpIds) {
        return lines.stream().filter(l -> {
            Matcher m = LINE.matcher(l);
            return m.matches() && !loadedDumpIds.contains(m.group(1));
        }).toList();
    }

    /** pg_restore's output lines (a --list, a script), or null when it failed. */
    static List<String> run(PgTool pgRestore, List<String> args, ConnectionSettings connection) {
        List<String> out = new ArrayList<>();
        PgProcess.Result result = new PgProcess(pgRestore, args, connection, event -> {
            synchronized (out) {
                out.add(event.line());
            }
        }).run();
        return result.ok() ? out : null;
    }
}
