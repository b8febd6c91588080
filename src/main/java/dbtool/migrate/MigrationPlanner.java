package dbtool.migrate;

import dbtool.DbToolException;
import dbtool.migrate.lint.LintFinding;
import dbtool.migrate.lint.MigrationLinter;
import dbtool.migrate.lint.SqlScript;
import dbtool.migrate.lint.SqlSyntaxException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.output.ValidateResult;

/**
 * Works out what a run would do without changing anything: Flyway's validate and info only read the history
 * table (and neither creates it), the rest is reading files. This is all --dry-run does.
 */
final class MigrationPlanner {
    private final FlywayFactory flyway;
    private final MigrationLinter linter = new MigrationLinter();

    MigrationPlanner(FlywayFactory flyway) {
        this.flyway = flyway;
    }

    MigrationPlan plan(MigrateOptions options, Connection admin, Instant now) {
        MigrationVersion target = parseTarget(options.targetVersion());
        MigrationInfo[] all;
        try {
            ValidateResult validation = flyway.forValidation().validateWithResult();
            if (!validation.validationSuccessful) {
                throw FlywayFailures.validation(validation, options.dir());
            }
            all = flyway.flyway(null).info().all();
        } catch (FlywayException e) {
            throw FlywayFailures.unexpected(e, options.dir());
        }
        boolean baselineFirst = willBaseline(admin, all);
        List<PendingMigration> pending = new ArrayList<>();
        List<AppliedStep> applied = new ArrayList<>();
        for (MigrationInfo info : all) {
            if (!info.isVersioned()) {
                continue;
            }
            if (info.getState() == MigrationState.PENDING) {
                boolean belowBaseline = baselineFirst
                        && !info.getVersion().isNewerThan(FlywayFactory.BASELINE_VERSION);
                boolean aboveTarget = target != null && info.getVersion().isNewerThan(target);
                if (!belowBaseline && !aboveTarget) {
                    pending.add(pending(info, options.dir()));
                }
            } else if (info.getState().isApplied() && !info.getState().isFailed()
                    && info.getState() != MigrationState.BASELINE && info.getInstalledOn() != null) {
                applied.add(new AppliedStep(info.getVersion().getVersion(), fileName(info.getScript()),
                        info.getInstalledOn().toInstant()));
            }
        }
        ContractGate.Decision decision = new ContractGate(options.settings().interimPeriod(), now)
                .decide(pending, applied, options.contract(), options.force());
        return new MigrationPlan(decision.toApply(), decision.heldBack(), decision.holdReason(), decision.refusal(),
                decision.warnings(), lint(pending), baselineFirst);
    }

    private static MigrationVersion parseTarget(String target) {
        if (target == null || target.isBlank()) {
            return null;
        }
        try {
            return MigrationVersion.fromVersion(target.strip().replaceFirst("^[Vv]", ""));
        } catch (FlywayException e) {
            throw DbToolException.usage("invalid --target '" + target + "': expected a version such as 4 or 1.2");
        }
    }

    /**
     * Flyway baselines (baselineOnMigrate) a database that has no history table but already has objects; files up
     * to the baseline version then never run, so they are not pending. Flyway's info cannot say this in advance,
     * hence the look at the catalog: no history rows and any relation in the current schema.
     */
    private static boolean willBaseline(Connection admin, MigrationInfo[] all) {
        if (Arrays.stream(all).anyMatch(i -> i.getState().isApplied())) {
            return false;
        }
        try (PreparedStatement st = admin.prepareStatement("""
                SELECT to_regclass(?) IS NULL AND EXISTS (
                    SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = current_schema())
                """)) {
            st.setString(1, FlywayFactory.HISTORY_TABLE);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        } catch (SQLException e) {
            throw DbToolException.runtime("cannot read the catalog: " + FlywayFailures.cause(e), e);
        }
    }

    private static PendingMigration pending(MigrationInfo info, Path dir) {
        String script = info.getScript();
        Path file = info.getPhysicalLocation() != null && !info.getPhysicalLocation().isBlank()
                ? Path.of(info.getPhysicalLocation()) : dir.resolve(script);
        SqlScript parsed = parse(file);
        return new PendingMigration(info.getVersion().getVersion(), info.getDescription(), script, file,
                PendingMigration.isContractScript(fileName(script)),
                parsed == null ? List.of() : parsed.verifyDirectives(),
                parsed == null ? null : parsed.batched().orElse(null));
    }

    /**
     * A file that does not parse has no checks or batch here (null); the linter reports it as syntax-error, which
     * stops the run.
     */
    private static SqlScript parse(Path file) {
        try {
            return SqlScript.parse(Files.readString(file));
        } catch (SqlSyntaxException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Only files not yet applied: an applied file can no longer change (its checksum is pinned). */
    private List<LintFinding> lint(List<PendingMigration> pending) {
        List<LintFinding> findings = new ArrayList<>();
        for (PendingMigration m : pending) {
            try {
                findings.addAll(linter.lint(m.file()));
            } catch (IOException e) {
                throw DbToolException.usage("cannot read " + m.file() + ": " + e.getMessage());
            }
        }
        return findings;
    }

    private static String fileName(String script) {
        Path name = Path.of(script).getFileName();
        return name == null ? script : name.toString();
    }
}
