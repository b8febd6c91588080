package dbtool.migrate;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.flywaydb.core.api.MigrationVersion;

/**
 * Decides which pending migrations a run may apply, by the expand/contract rule: a contract step removes what old
 * application versions still use, so it waits until the expand steps before it have been live for the interim
 * period (long enough for every deployment and rollback window to have moved to the new shape).
 *
 * <p>Without --contract the run stops before the first contract step (everything after it waits too, because
 * Flyway applies in order). With --contract a contract step inside its interim period refuses the whole run before
 * anything is touched, rather than applying half of what was asked; --force overrides that, loudly.
 */
final class ContractGate {
    private final Duration interimPeriod;
    private final Instant now;

    ContractGate(Duration interimPeriod, Instant now) {
        this.interimPeriod = interimPeriod;
        this.now = now;
    }

    /** The gate's verdict; {@code refusal} and {@code holdReason} are null when they do not apply. */
    record Decision(List<PendingMigration> toApply, List<PendingMigration> heldBack, String holdReason,
            String refusal, List<String> warnings) {}

    Decision decide(List<PendingMigration> pending, List<AppliedStep> applied, boolean contract, boolean force) {
        int first = 0;
        while (first < pending.size() && !pending.get(first).contract()) {
            first++;
        }
        if (first == pending.size()) {
            return new Decision(pending, List.of(), null, null, List.of());
        }
        if (!contract) {
            return new Decision(pending.subList(0, first), pending.subList(first, pending.size()),
                    "stopping before contract step " + pending.get(first).script()
                            + ": contract steps run only with --contract, once the expand steps before them have been"
                            + " applied for interim_period (" + Durations.format(interimPeriod) + ")",
                    null, List.of());
        }
        List<String> warnings = new ArrayList<>();
        for (PendingMigration step : pending) {
            if (!step.contract()) {
                continue;
            }
            Optional<String> tooEarly = tooEarly(step, pending, applied);
            if (tooEarly.isPresent() && force) {
                warnings.add("--force: applying contract step " + step.script() + " although " + tooEarly.get());
            } else if (tooEarly.isPresent()) {
                return new Decision(List.of(), pending, null, "not applying contract step " + step.script() + ": "
                        + tooEarly.get() + "; nothing was changed (run without --contract to apply only expand steps,"
                        + " or add --force to apply it anyway)", List.of());
            }
        }
        return new Decision(pending, List.of(), null, null, warnings);
    }

    /** Why {@code step} may not run yet, or empty when its interim period is over. */
    private Optional<String> tooEarly(PendingMigration step, List<PendingMigration> pending, List<AppliedStep> applied) {
        MigrationVersion version = MigrationVersion.fromVersion(step.version());
        Optional<PendingMigration> unapplied = pending.stream()
                .filter(p -> !p.contract() && version.isNewerThan(MigrationVersion.fromVersion(p.version())))
                .findFirst();
        if (unapplied.isPresent()) {
            return Optional.of("expand step " + unapplied.get().script() + " before it is not applied yet");
        }
        Optional<AppliedStep> newest = applied.stream()
                .filter(a -> !PendingMigration.isContractScript(a.script()))
                .filter(a -> version.isNewerThan(a.version()))
                .max(Comparator.comparing(AppliedStep::installedOn));
        if (newest.isEmpty()) {
            return Optional.empty(); // no expand step to wait for
        }
        Instant since = newest.get().installedOn();
        Duration live = Duration.between(since, now);
        if (live.compareTo(interimPeriod) >= 0) {
            return Optional.empty();
        }
        return Optional.of("expand step " + newest.get().script() + " was applied only "
                + Durations.format(live.truncatedTo(ChronoUnit.SECONDS)) + " ago (at "
                + since.truncatedTo(ChronoUnit.SECONDS) + ") and interim_period is " + Durations.format(interimPeriod)
                + ": wait until " + since.plus(interimPeriod).truncatedTo(ChronoUnit.SECONDS));
    }
}
