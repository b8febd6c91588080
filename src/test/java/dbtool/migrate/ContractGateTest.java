package dbtool.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ContractGateTest {
    private static final Instant NOW = Instant.parse("2030-01-10T12:00:00Z");
    private static final PendingMigration V5 = pending("5", "V5__contract_drop_cat_columns.sql");
    private static final PendingMigration V6 = pending("6", "V6__add_cat_birthdays.sql");
    private final ContractGate gate = new ContractGate(Duration.ofDays(7), NOW);

    @Test
    void withoutContractStopsBeforeTheFirstContractStep() {
        ContractGate.Decision d = gate.decide(List.of(pending("4", "V4__x.sql"), V5, V6), List.of(), false, false);

        assertThat(d.toApply()).extracting(PendingMigration::version).containsExactly("4");
        assertThat(d.heldBack()).containsExactly(V5, V6);
        assertThat(d.holdReason()).contains("V5__contract_drop_cat_columns.sql", "--contract", "7d");
        assertThat(d.refusal()).isNull();
    }

    @Test
    void contractInsideTheInterimPeriodIsRefusedWhole() {
        List<AppliedStep> applied = List.of(applied("4", "V4__x.sql", NOW.minus(Duration.ofDays(2))));

        ContractGate.Decision d = gate.decide(List.of(V5, V6), applied, true, false);

        assertThat(d.toApply()).isEmpty();
        assertThat(d.refusal()).contains("V5__contract_drop_cat_columns.sql", "V4__x.sql", "2d ago", "--force",
                "wait until 2030-01-15T12:00:00Z");
    }

    @Test
    void contractAfterTheInterimPeriodIsApplied() {
        List<AppliedStep> applied = List.of(applied("3", "V3__y.sql", NOW.minus(Duration.ofDays(30))),
                applied("4", "V4__x.sql", NOW.minus(Duration.ofDays(7))));

        ContractGate.Decision d = gate.decide(List.of(V5, V6), applied, true, false);

        assertThat(d.toApply()).containsExactly(V5, V6);
        assertThat(d.refusal()).isNull();
        assertThat(d.warnings()).isEmpty();
    }

    @Test
    void theNewestExpandStepCountsNotAnEarlierContractStep() {
        List<AppliedStep> applied = List.of(applied("3", "V3__y.sql", NOW.minus(Duration.ofDays(1))),
                applied("4", "V4__contract_z.sql", NOW.minus(Duration.ofDays(30))));

        assertThat(gate.decide(List.of(V5), applied, true, false).refusal()).contains("V3__y.sql");
    }

    @Test
    void anExpandStepStillPendingBeforeTheContractStepRefusesIt() {
        ContractGate.Decision d = gate.decide(List.of(pending("4", "V4__x.sql"), V5), List.of(), true, false);

        assertThat(d.refusal()).contains("V4__x.sql", "not applied yet", "without --contract");
    }

    @Test
    void forceAppliesInsideTheInterimPeriodLoudly() {
        List<AppliedStep> applied = List.of(applied("4", "V4__x.sql", NOW.minus(Duration.ofHours(3))));

        ContractGate.Decision d = gate.decide(List.of(V5), applied, true, true);

        assertThat(d.toApply()).containsExactly(V5);
        assertThat(d.warnings()).singleElement().asString().contains("--force", "V5__contract", "3h ago");
    }

    @Test
    void versionsCompareNumerically() {
        PendingMigration v10 = pending("10", "V10__contract_drop.sql");
        List<AppliedStep> applied = List.of(applied("9", "V9__x.sql", NOW.minus(Duration.ofDays(1))));

        assertThat(gate.decide(List.of(v10), applied, true, false).refusal()).contains("V9__x.sql");
    }

    private static PendingMigration pending(String version, String script) {
        return new PendingMigration(version, script, script, Path.of(script),
                PendingMigration.isContractScript(script), List.of());
    }

    private static AppliedStep applied(String version, String script, Instant at) {
        return new AppliedStep(version, script, at);
    }
}
