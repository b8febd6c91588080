package dbtool.migrate;

import java.time.Instant;

/** A migration the history table records as applied successfully (baseline rows excluded). */
record AppliedStep(String version, String script, Instant installedOn) {}
