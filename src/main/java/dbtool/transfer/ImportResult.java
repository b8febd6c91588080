package dbtool.transfer;

import dbtool.archive.Manifest;
import dbtool.config.ConnectionSettings;
import dbtool.verify.RowCountCheck;
import java.util.List;

/** A finished import: where it went, what pg_restore warned about, and the row count check. */
public record ImportResult(
        ConnectionSettings target,
        boolean createdDatabase,
        Manifest manifest,
        List<String> restoreWarnings,
        RowCountCheck.Outcome check,
        long millis,
        String previousKeptAs) {

    /** Whether --clean replaced an existing database (its previous contents are kept as {@link #previousKeptAs}). */
    public boolean replaced() {
        return previousKeptAs != null;
    }
}
