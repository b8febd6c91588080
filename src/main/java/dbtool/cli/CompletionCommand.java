package dbtool.cli;

import dbtool.DbToolException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "completion", sortOptions = false, usageHelpAutoWidth = false,
        description = {"Print a bash or zsh completion script, with the config's project names for --project.",
            "Run it again after adding a project. In ~/.bashrc: source <(dbtool completion bash)",
            "In ~/.zshrc: source <(dbtool completion zsh)"})
final class CompletionCommand implements Callable<Integer> {

    @ParentCommand
    DbTool root;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "SHELL", description = "bash or zsh.")
    String shell;

    @Override
    public Integer call() {
        if (!shell.equals("bash") && !shell.equals("zsh")) {
            throw DbToolException.usage("no completion for shell '" + shell + "'; use bash or zsh");
        }
        List<String> projects = List.copyOf(root.config().projects().keySet());
        String script = AutoComplete.bash("dbtool", DbTool.commandLine(new DbTool())) + projectCompletion(projects);
        CommandLine command = spec.commandLine();
        command.getOut().print(script);
        command.getOut().flush();
        return 0;
    }

    /**
     * picocli's script completes commands and options; this wrapper adds the project names after --project
     * (picocli only knows values that are fixed when dbtool is compiled) and hands everything else on.
     */
    static String projectCompletion(List<String> projects) {
        // Project names are ASCII letters, digits, '.', '_' and '-' (ConfigLoader): safe inside the quotes.
        return """

                # dbtool: project names from the config for --project
                function _dbtool_complete_with_projects() {
                  local prev_word="${COMP_WORDS[COMP_CWORD-1]}" curr_word="${COMP_WORDS[COMP_CWORD]}"
                  if [[ "${prev_word}" == "--project" ]]; then
                    COMPREPLY=( $(compgen -W "%s" -- "${curr_word}") )
                    return 0
                  fi
                  _complete_dbtool "$@"
                }
                complete -F _dbtool_complete_with_projects -o default dbtool dbtool.sh dbtool.bash
                """.formatted(String.join(" ", projects));
    }
}
