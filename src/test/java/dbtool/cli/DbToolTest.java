package dbtool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** Only the named subcommand's model is built; anything that lists or suggests commands gets all of them. */
class DbToolTest {

    private static final CommandSpec ROOT = new CommandLine(new DbTool()).getCommandSpec();

    private static List<Class<?>> of(String... args) {
        return DbTool.subcommandsFor(ROOT, args);
    }

    @Test
    void theNamedCommandAloneWherePositionedAfterRootOptions() {
        assertThat(of("export", "--url", "postgresql://h/db")).containsExactly(ExportCommand.class);
        assertThat(of("-q", "--log-format=json", "import", "a.tar.gz")).containsExactly(ImportCommand.class);
        // The value of --config is skipped, not taken for an unknown command.
        assertThat(of("--config", "dbtool.yaml", "inspect", "a.tar.gz")).containsExactly(InspectCommand.class);
        assertThat(of("--version")).isEmpty();
    }

    @Test
    void everyCommandWhereTheyAreListedOrSuggested() {
        for (String[] args : List.of(new String[] {}, new String[] {"--help"}, new String[] {"-h", "export"},
                new String[] {"exprot"}, new String[] {"help", "export"}, new String[] {"@args.txt"},
                new String[] {"--", "export"}, new String[] {"--version", "--help"})) {
            assertThat(of(args)).as(String.join(" ", args)).isEqualTo(DbTool.SUBCOMMANDS);
        }
    }
}
