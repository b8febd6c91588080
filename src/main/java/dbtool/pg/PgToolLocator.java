package dbtool.pg;

import dbtool.DbToolException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Finds pg_dump / pg_restore binaries: $DBTOOL_PG_BIN first, then PATH, then the usual install
 * locations of Debian, RHEL and Homebrew. Several majors often sit side by side and the one on PATH
 * is frequently too old for the server, so all are considered and the best fit is chosen.
 */
public final class PgToolLocator {

    private static final List<String> INSTALL_GLOBS = List.of(
            "/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/opt/homebrew/opt/postgresql@*/bin",
            "/usr/local/opt/postgresql@*/bin", "/opt/homebrew/bin", "/usr/local/pgsql/bin",
            "/Applications/Postgres.app/Contents/Versions/*/bin");

    private final Function<String, String> environment;
    private final Map<Path, Optional<PgTool>> probed = new LinkedHashMap<>();

    public PgToolLocator(Function<String, String> environment) {
        this.environment = environment;
    }

    public static PgToolLocator fromSystemEnvironment() {
        return new PgToolLocator(System::getenv);
    }

    /** Every distinct binary of that name found, newest first. */
    public List<PgTool> findAll(String name) {
        List<PgTool> tools = new ArrayList<>();
        Set<PgVersion> seen = new LinkedHashSet<>();
        for (Path dir : candidateDirectories()) {
            Path exe = dir.resolve(name);
            if (Files.isExecutable(exe)) {
                probe(name, exe).filter(t -> seen.add(t.version())).ifPresent(tools::add);
            }
        }
        tools.sort(Comparator.comparing(PgTool::version).reversed());
        return tools;
    }

    /**
     * pg_dump must be at least the server's major. The same major is the best fit (its output is
     * what that server's users expect); otherwise the newest one that is new enough.
     */
    public PgTool forServer(String name, PgVersion server) {
        List<PgTool> all = findAll(name);
        Optional<PgTool> sameMajor = all.stream().filter(t -> t.version().major() == server.major()).findFirst();
        if (sameMajor.isPresent()) {
            return sameMajor.get();
        }
        return all.stream().filter(t -> t.version().major() >= server.major()).findFirst()
                .orElseThrow(() -> new DbToolException(dbtool.ExitCode.RUNTIME, describeMissing(name, server, all)));
    }

    private static String describeMissing(String name, PgVersion server, List<PgTool> all) {
        String found = all.isEmpty() ? "no " + name + " was found"
                : "found only " + all.stream().map(t -> t.executable() + " " + t.version()).toList();
        return "the server runs PostgreSQL " + server.major() + " but " + found + "; install " + name + " "
                + server.major() + " or newer (e.g. apt install postgresql-client-" + server.major()
                + ") or point $DBTOOL_PG_BIN at its bin directory";
    }

    private List<Path> candidateDirectories() {
        Set<Path> dirs = new LinkedHashSet<>();
        String override = environment.apply("DBTOOL_PG_BIN");
        if (override != null && !override.isBlank()) {
            dirs.add(Path.of(override));
        }
        String path = environment.apply("PATH");
        if (path != null) {
            for (String entry : path.split(java.io.File.pathSeparator)) {
                if (!entry.isBlank()) {
                    dirs.add(Path.of(entry));
                }
            }
        }
        for (String glob : INSTALL_GLOBS) {
            dirs.addAll(expand(glob));
        }
        return new ArrayList<>(dirs);
    }

    private static List<Path> expand(String glob) {
        int star = glob.indexOf('*');
        if (star < 0) {
            return Files.isDirectory(Path.of(glob)) ? List.of(Path.of(glob)) : List.of();
        }
        Path parent = Path.of(glob.substring(0, glob.lastIndexOf('/', star)));
        String pattern = glob.substring(parent.toString().length() + 1);
        String first = pattern.contains("/") ? pattern.substring(0, pattern.indexOf('/')) : pattern;
        String rest = pattern.contains("/") ? pattern.substring(pattern.indexOf('/') + 1) : "";
        List<Path> result = new ArrayList<>();
        if (!Files.isDirectory(parent)) {
            return result;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(parent, first)) {
            for (Path p : stream) {
                Path candidate = rest.isEmpty() ? p : p.resolve(rest);
                if (Files.isDirectory(candidate)) {
                    result.add(candidate);
                }
            }
        } catch (IOException ignored) {
            // an unreadable install location is simply not a candidate
        }
        return result;
    }

    /** Synchronized: an import looks for pg_restore on another thread while it reads the archive's manifest. */
    private synchronized Optional<PgTool> probe(String name, Path exe) {
        Path real;
        try {
            real = exe.toRealPath();
        } catch (IOException e) {
            return Optional.empty();
        }
        if (real.getFileName().toString().equals("pg_wrapper")) {
            // Debian's wrapper picks a version by its own rules; the real binaries are found below.
            return Optional.empty();
        }
        return probed.computeIfAbsent(real, r -> runVersion(name, exe));
    }

    private static Optional<PgTool> runVersion(String name, Path exe) {
        try {
            Process p = new ProcessBuilder(exe.toString(), "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return Optional.empty();
            }
            return Optional.of(new PgTool(name, exe, PgVersion.parseToolOutput(out)));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
