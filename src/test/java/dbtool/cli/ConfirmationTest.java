package dbtool.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dbtool.DbToolException;
import dbtool.ExitCode;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ConfirmationTest {

    private final StringWriter err = new StringWriter();

    private Confirmation typing(String input) {
        return new Confirmation(new BufferedReader(new StringReader(input)), new PrintWriter(err, true));
    }

    @Test
    void onATerminalTheUserTypesTheTargetsName() {
        typing("shop\n").require(false, "--clean drops the archive's objects in database 'shop'", "shop");
        assertThat(err.toString()).contains("--clean drops the archive's objects in database 'shop'.", "Type 'shop'");
    }

    @Test
    void anyOtherAnswerStopsWithExit2AndChangesNothing() {
        assertThatThrownBy(() -> typing("y\n").require(false, "prune deletes archives", "shop"))
                .isInstanceOfSatisfying(DbToolException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
                    assertThat(e.getMessage()).contains("typed 'y'", "expected 'shop'", "nothing was changed");
                });
        assertThatThrownBy(() -> typing("").require(false, "prune deletes archives", "shop"))
                .hasMessageContaining("no answer");
    }

    @Test
    void withoutATerminalOnlyYesWill() {
        Confirmation noTerminal = new Confirmation(null, new PrintWriter(err, true));
        assertThatThrownBy(() -> noTerminal.require(false, "prune deletes archives", "shop"))
                .isInstanceOfSatisfying(DbToolException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE))
                .hasMessageContaining("add --yes to confirm");
        noTerminal.require(true, "prune deletes archives", "shop");
        typing("").require(true, "prune deletes archives", "shop");
        assertThat(err.toString()).as("--yes asks nothing").isEmpty();
    }
}
