package dbtool.cli;

import dbtool.DbToolException;
import dbtool.config.ConfigLoader;
import dbtool.config.ConnectionSettings;
import dbtool.config.ProjectConfig;
import picocli.CommandLine.Option;

/** --project NAME or --url URL: which database a command works on. */
final class TargetOptions {

    @Option(names = "--project", paramLabel = "NAME", description = "A project from the config file.")
    String project;

    @Option(names = "--url", paramLabel = "URL", description = "A database URL, e.g. postgresql://host:5432/db.")
    String url;

    boolean given() {
        return project != null || url != null;
    }

    /** The project, when --project was given. */
    ProjectConfig projectConfig(ConfigLoader.Config config) {
        return project == null ? null : config.project(project);
    }

    ConnectionSettings connection(ConfigLoader.Config config) {
        if (project != null && url != null) {
            throw DbToolException.usage("give either --project or --url, not both");
        }
        if (project != null) {
            return config.project(project).connection();
        }
        if (url != null) {
            return ConnectionSettings.parse(url);
        }
        throw DbToolException.usage("no database given; add --project NAME (from the config) or --url URL");
    }
}
