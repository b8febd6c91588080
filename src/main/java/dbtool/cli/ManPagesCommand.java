package dbtool.cli;

import dbtool.DbToolException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * picocli's ManPageGenerator writes AsciiDoc, which needs asciidoctor (a Ruby tool) to become a man page; so that
 * one jar is enough, dbtool renders its own --help texts into roff: the same words as --help, readable by man.
 */
@Command(name = "manpages", sortOptions = false, usageHelpAutoWidth = false,
        description = {"Write man pages: dbtool.1 and dbtool-<command>.1 into DIR.",
            "Install them: sudo dbtool manpages /usr/local/share/man/man1",
            "Then: man dbtool-export"})
final class ManPagesCommand implements Callable<Integer> {

    @ParentCommand
    DbTool root;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "Directory for the pages (created when missing).")
    Path dir;

    @Override
    public Integer call() {
        CommandLine top = DbTool.commandLine(new DbTool());
        List<String> written = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            write(top, "dbtool", written);
        } catch (IOException e) {
            throw DbToolException.usage("cannot write man pages into " + dir + " (" + e.getMessage()
                    + "); choose a directory you can write");
        }
        root.print(spec, java.util.Map.of("ok", true, "directory", dir.toAbsolutePath().toString(), "pages", written),
                String.join(System.lineSeparator(), written.stream().map(p -> dir.resolve(p).toString()).toList()));
        return 0;
    }

    private void write(CommandLine command, String pageName, List<String> written) throws IOException {
        String file = pageName + ".1";
        Files.writeString(dir.resolve(file), page(command, pageName), StandardCharsets.UTF_8);
        written.add(file);
        for (CommandLine sub : command.getSubcommands().values()) {
            if (!sub.getCommandSpec().usageMessage().hidden() && !sub.getCommandName().equals("help")) {
                write(sub, pageName + "-" + sub.getCommandName(), written);
            }
        }
    }

    static String page(CommandLine command, String pageName) {
        String[] description = command.getCommandSpec().usageMessage().description();
        String summary = description.length == 0 ? "" : description[0];
        StringBuilder roff = new StringBuilder();
        roff.append(".TH ").append(pageName.toUpperCase(Locale.ROOT)).append(" 1 \"")
                .append(LocalDate.now(ZoneOffset.UTC)).append("\" \"dbtool ").append(DbTool.version())
                .append("\" \"dbtool manual\"\n");
        roff.append(".SH NAME\n").append(escape(pageName)).append(" \\- ").append(escape(summary)).append('\n');
        roff.append(".SH DESCRIPTION\n.nf\n");
        for (String line : command.getUsageMessage(CommandLine.Help.Ansi.OFF).split("\\R", -1)) {
            roff.append(escape(line)).append('\n');
        }
        roff.append(".fi\n");
        if (!pageName.equals("dbtool")) {
            roff.append(".SH SEE ALSO\n.BR dbtool (1)\n");
        }
        return roff.toString();
    }

    /** Backslashes and lines that start like a roff request would change the text. */
    private static String escape(String text) {
        String escaped = text.replace("\\", "\\e");
        return escaped.startsWith(".") || escaped.startsWith("'") ? "\\&" + escaped : escaped;
    }
}
