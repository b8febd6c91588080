package dbtool.transfer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Index and primary key / unique constraint builds that start as soon as their table is loaded, while other tables
 * still load: pg_restore -j does the same, and on few cores the last big table's load leaves cores idle that the
 * others' indexes can use. Only an INDEX or CONSTRAINT whose every dependency (in pg_restore's own listing) is either
 * a table loaded by COPY or an object of the schema section qualifies; everything else of the post-data section
 * (foreign keys, triggers, materialized views' data, comments, ...) waits for the final post-data run.
 */
final class EarlyIndexes implements AutoCloseable {

    private static final Pattern ENTRY = Pattern.compile("^(\\d+); \\d+ \\d+ (.*)$");
    private static final Pattern DEPENDS = Pattern.compile("^;\\s*depends on:((?: \\d+)+)\\s*$");

    /** Each early item's list line and the table data ids it needs. */
    private final Map<String, Set<String>> needs;
    private final Map<String, String> lineOf;
    private final List<String> postDataLines;
    private final Consumer<List<String>> build;
    private final Set<String> loaded = new HashSet<>();
    private final Set<String> started = new HashSet<>();
    /** Ids whose tables are loaded and that have not started. */
    private final List<String> ready = new ArrayList<>();
    private final int tables;
    private final Thread runner;
    private boolean closing;
    private RuntimeException failure;

    private EarlyIndexes(Map<String, Set<String>> needs, Map<String, String> lineOf, List<String> postDataLines,
            int tables, Consumer<List<String>> build) {
        this.tables = tables;
        this.needs = needs;
        this.lineOf = lineOf;
        this.postDataLines = postDataLines;
        this.build = build;
        this.runner = new Thread(this::run, "dbtool-early-indexes");
        runner.setDaemon(true);
        runner.start();
    }

    /**
     * @param verboseListing {@code pg_restore --list --verbose} of the whole dump (entries with their dependencies)
     * @param postDataLines {@code pg_restore --list --section=post-data}: entries of the post-data section
     * @param copyLoaded the TABLE DATA dump ids loaded by COPY
     * @param build runs pg_restore for these list lines (post-data section); throws when it fails
     */
    static EarlyIndexes plan(List<String> verboseListing, List<String> postDataLines, Set<String> dataSection,
            Set<String> copyLoaded, Consumer<List<String>> build) {
        Map<String, String> descriptions = new HashMap<>();
        Map<String, String> lines = new LinkedHashMap<>();
        Map<String, List<String>> deps = new HashMap<>();
        String last = null;
        for (String line : verboseListing) {
            Matcher entry = ENTRY.matcher(line);
            Matcher depends = DEPENDS.matcher(line);
            if (entry.matches()) {
                last = entry.group(1);
                descriptions.put(last, entry.group(2));
                lines.put(last, line);
            } else if (depends.matches() && last != null) {
                deps.put(last, List.of(depends.group(1).strip().split(" ")));
            }
        }
        Map<String, String> dataOfTable = new HashMap<>();
        for (String dataId : copyLoaded) {
            List<String> of = deps.getOrDefault(dataId, List.of());
            if (of.size() == 1) {
                dataOfTable.put(of.get(0), dataId);
            }
        }
        Set<String> postData = new HashSet<>();
        for (String line : postDataLines) {
            Matcher m = ENTRY.matcher(line);
            if (m.matches()) {
                postData.add(m.group(1));
            }
        }
        Map<String, Set<String>> needs = new LinkedHashMap<>();
        for (String id : postData) {
            String description = descriptions.getOrDefault(id, "");
            boolean kind = (description.startsWith("INDEX ") && !description.startsWith("INDEX ATTACH "))
                    || description.startsWith("CONSTRAINT ");
            Set<String> tables = new HashSet<>();
            boolean ok = kind && deps.containsKey(id);
            for (String dep : deps.getOrDefault(id, List.of())) {
                String of = descriptions.getOrDefault(dep, "");
                if (dataOfTable.containsKey(dep)) {
                    tables.add(dataOfTable.get(dep));
                } else if (of.isEmpty() || of.startsWith("TABLE ") || postData.contains(dep) || dataSection.contains(dep)) {
                    ok = false; // a table whose data is not loaded here, or something built later
                }
            }
            if (ok && !tables.isEmpty()) {
                needs.put(id, tables);
            }
        }
        return new EarlyIndexes(needs, lines, postDataLines, copyLoaded.size(), build);
    }

    /** A table's data is committed: its indexes may be built. */
    synchronized void loaded(String dataId) {
        loaded.add(dataId);
        for (Map.Entry<String, Set<String>> item : needs.entrySet()) {
            if (!ready.contains(item.getKey()) && !started.contains(item.getKey()) && loaded.containsAll(item.getValue())) {
                ready.add(item.getKey());
            }
        }
        notifyAll();
    }

    /**
     * Builds start only while some table is still loading: once the last one is in, the final post-data run builds
     * what is left with all jobs, which is faster than one build after another here.
     */
    private boolean worthStarting() {
        return !ready.isEmpty() && !closing && loaded.size() < tables && failure == null;
    }

    private void run() {
        while (true) {
            List<String> batch;
            synchronized (this) {
                while (!worthStarting() && !closing) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (!worthStarting()) {
                    return;
                }
                batch = ready.stream().map(lineOf::get).toList();
                started.addAll(ready);
                ready.clear();
            }
            try {
                build.accept(batch);
            } catch (RuntimeException e) {
                synchronized (this) {
                    failure = e;
                    closing = true;
                }
                return;
            }
        }
    }

    /**
     * Waits for the builds running or ready, and returns the post-data section's entries that are left for the final
     * run; rethrows a failed build.
     */
    List<String> finish() {
        stop();
        synchronized (this) {
            if (failure != null) {
                throw failure;
            }
            return postDataLines.stream().filter(l -> {
                Matcher m = ENTRY.matcher(l);
                return !m.matches() || !started.contains(m.group(1));
            }).toList();
        }
    }

    /** Stops after the build that is running, if any (the import failed). */
    @Override
    public void close() {
        stop();
    }

    private void stop() {
        synchronized (this) {
            closing = true;
            notifyAll();
        }
        boolean interrupted = false;
        while (runner.isAlive()) {
            try {
                runner.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
