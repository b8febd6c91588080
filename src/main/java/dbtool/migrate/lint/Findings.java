package dbtool.migrate.lint;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/** Collects the findings of one file, dropping those of rules the file allows. */
final class Findings {
    private final Path file;
    private final Set<String> allowedRules;
    private final List<LintFinding> findings = new ArrayList<>();

    Findings(Path file, Set<String> allowedRules) {
        this.file = file;
        this.allowedRules = allowedRules;
    }

    void add(LintRule rule, int line, String message) {
        if (!allowedRules.contains(rule.id())) {
            findings.add(new LintFinding(rule.id(), file, line, message, rule.safeAlternative()));
        }
    }

    /** By line, then in rule order, so output is stable. */
    List<LintFinding> sorted() {
        return findings.stream()
                .sorted(Comparator.comparingInt(LintFinding::line)
                        .thenComparing(f -> LintRule.byId(f.rule()).map(Enum::ordinal).orElse(-1)))
                .toList();
    }
}
