package dbtool.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.migrate.lint.MigrationLinter;
import dbtool.migrate.lint.SqlScript;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The shipped cat lovers migrations (migrations/old) stay lint-clean; MigratorIT runs them against a server. */
class ShippedMigrationsTest {
    private static final Path DIR = Path.of("migrations/old");

    @Test
    void areLintClean() throws IOException {
        assertThat(new MigrationLinter().lint(DIR)).extracting(MigrationLinter::format).isEmpty();
    }

    @Test
    void onlyTheLastIsAContractStep() throws IOException {
        try (Stream<Path> files = Files.list(DIR)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(PendingMigration::isContractScript))
                    .containsExactly("V5__contract_drop_cat_columns.sql");
        }
    }

    @Test
    void copyStepsVerifyTheCounts() throws IOException {
        for (String file : new String[] {"V3__copy_cats.sql", "V4__new_signups_write_cats.sql"}) {
            assertThat(SqlScript.parse(Files.readString(DIR.resolve(file))).verifyDirectives())
                    .singleElement().satisfies(v -> assertThat(v.expression()).contains("count(*) from cats"));
        }
    }
}
