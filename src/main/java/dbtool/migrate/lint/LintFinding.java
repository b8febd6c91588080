package dbtool.migrate.lint;

import java.nio.file.Path;

/** One hazard: which rule, where, what goes wrong, and what to write instead. */
public record LintFinding(String rule, Path file, int line, String message, String safeAlternative) {}
