package dbtool.cli;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.migrate.lint.LintFinding;
import dbtool.migrate.lint.MigrationLinter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "lint", usageHelpAutoWidth = false,
        description = {"Report locking and compatibility hazards in migration SQL; exit 6 when any are found.",
            "Each finding names its rule, file:line and the safe alternative.",
            "'-- dbtool:allow <rule>' in a file silences that rule there."})
final class LintCommand implements Callable<Integer> {

    @ParentCommand
    DbTool root;

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE_OR_DIR", description = "SQL files or directories of them.")
    List<Path> paths;

    @Override
    public Integer call() {
        MigrationLinter linter = new MigrationLinter();
        List<LintFinding> findings = new ArrayList<>();
        for (Path path : paths) {
            if (!Files.exists(path)) {
                throw DbToolException.usage(path + " does not exist");
            }
            try {
                findings.addAll(linter.lint(path));
            } catch (IOException e) {
                throw DbToolException.usage("cannot read " + path + ": " + e.getMessage());
            }
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("ok", findings.isEmpty());
        json.put("clean", findings.isEmpty());
        json.put("findings", findings.stream().map(f -> Map.of("rule", f.rule(), "file", f.file().toString(),
                "line", f.line(), "message", f.message(), "safe_alternative", f.safeAlternative())).toList());
        String text = findings.isEmpty() ? "clean: no hazards found"
                : String.join("\n", findings.stream().map(MigrationLinter::format).toList())
                        + "\n" + findings.size() + " finding(s)";
        root.print(spec, json, text);
        return findings.isEmpty() ? ExitCode.OK.code() : ExitCode.LINT.code();
    }
}
