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
    void onlyTheLastTwoAreContractSteps() throws IOException {
        try (Stream<Path> files = Files.list(DIR)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(PendingMigration::isContractScript))
                    .containsExactlyInAnyOrder("V5__contract_drop_cat_columns.sql",
                            "V6__contract_many_cats_per_lover.sql");
        }
    }

    @Test
    void theMirrorComesBeforeTheCopy() throws IOException {
        assertThat(Files.readString(DIR.resolve("V3__mirror_cats.sql"))).contains("CREATE TRIGGER");
        SqlScript copy = SqlScript.parse(Files.readString(DIR.resolve("V4__copy_cats.sql")));
        assertThat(copy.batched()).hasValueSatisfying(b -> {
            assertThat(b.directive().rows()).isEqualTo(5000);
            assertThat(b.walksByKey()).isTrue();
            assertThat(b.returnsKeys()).isTrue();
        });
    }

    /** Checks that hold while writers are active compare the rows, they never count a table that still moves. */
    @Test
    void copyStepComparesTheDataNotCounts() throws IOException {
        assertThat(SqlScript.parse(Files.readString(DIR.resolve("V4__copy_cats.sql"))).verifyDirectives())
                .hasSize(2)
                .allSatisfy(v -> assertThat(v.expression()).startsWith("NOT EXISTS").doesNotContain("count("))
                .anySatisfy(v -> assertThat(v.expression()).contains("c.name = cl.cat_name",
                        "c.color IS NOT DISTINCT FROM cl.cat_color"));
    }
}
