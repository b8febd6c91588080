package dbtool.transfer;

import dbtool.archive.Manifest;
import dbtool.config.ConnectionSettings;
import dbtool.verify.RowCountCheck;
import java.util.List;

/**
 * A finished import: where it went, what pg_restore warned about, and the row count check.
 *
 * @param roles what import --globals did with the archive's roles, or null without --globals
 * @param propertyWarnings database settings, comment or privileges that could not be applied
 */
public record ImportResult(
        ConnectionSettings target,
        boolean createdDatabase,
        Manifest manifest,
        List<String> restoreWarnings,
        RowCountCheck.Outcome check,
        long millis,
        Globals.Applied roles,
        List<String> propertyWarnings,
        String previousKeptAs) {

    /** Whether --clean replaced an existing database (its previous contents are kept as {@link #previousKeptAs}). */
    public boolean replaced() {
        return previousKeptAs != null;
    }
}
