package dbtool.cli;

import dbtool.DbToolException;

/** --jobs: pg_dump / pg_restore parallelism, defaulting to the number of cores as they do best. */
final class Jobs {

    private Jobs() {}

    static int resolve(Integer jobs) {
        if (jobs == null) {
            return Runtime.getRuntime().availableProcessors();
        }
        if (jobs < 1 || jobs > 256) {
            throw DbToolException.usage("--jobs must be between 1 and 256, got " + jobs);
        }
        return jobs;
    }
}
