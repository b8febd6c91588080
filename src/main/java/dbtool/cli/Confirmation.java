package dbtool.cli;

import dbtool.DbToolException;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.PrintWriter;

/**
 * Destructive commands (import --clean, backups prune) ask first, Heroku style: on a terminal the user types
 * the target's name; without a terminal (cron, scripts, CI) nobody can answer, so --yes must say it up front.
 * {@code --yes} always skips the question.
 */
final class Confirmation {

    /** The terminal's input, or null when dbtool does not run on a terminal. */
    private final BufferedReader terminal;
    private final PrintWriter err;

    Confirmation(BufferedReader terminal, PrintWriter err) {
        this.terminal = terminal;
        this.err = err;
    }

    /** Asks on the real terminal when stdin and stdout are one (System.console()), else cannot ask. */
    static Confirmation onTerminal(PrintWriter err) {
        Console console = System.console();
        return new Confirmation(console == null ? null : new BufferedReader(console.reader()), err);
    }

    /**
     * Returns when the user confirmed; otherwise throws a usage error (exit 2) and nothing has been changed.
     *
     * @param what   what will be destroyed, e.g. "--clean drops the archive's objects in database 'shop' on db1:5432"
     * @param name   what the user must type, e.g. the database's or project's name
     */
    void require(boolean yes, String what, String name) {
        if (yes) {
            return;
        }
        if (terminal == null) {
            throw DbToolException.usage(what + "; add --yes to confirm (no terminal to ask on)");
        }
        err.print(what + ".\nType '" + name + "' to go on (anything else stops here): ");
        err.flush();
        String answer;
        try {
            answer = terminal.readLine();
        } catch (IOException e) {
            answer = null;
        }
        if (answer == null || !answer.strip().equals(name)) {
            throw DbToolException.usage("not confirmed (" + (answer == null ? "no answer" : "typed '" + answer.strip() + "'")
                    + ", expected '" + name + "'); nothing was changed. Add --yes to skip the question");
        }
    }
}
