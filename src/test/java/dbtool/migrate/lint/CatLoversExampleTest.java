package dbtool.migrate.lint;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The project's running example: splitting the cats out of cat_lovers, expand/contract style. */
class CatLoversExampleTest {
    static final String V1 = """
            CREATE TABLE cat_lovers (id serial PRIMARY KEY, name text, email text, cat_name text, cat_color text);
            """;
    static final String V2 = """
            -- Expand: a new table for cats; cat_lovers is untouched.
            CREATE TABLE cats (
                id serial PRIMARY KEY,
                name text NOT NULL,
                color text,
                cat_lover_id int NOT NULL REFERENCES cat_lovers (id)
            );
            CREATE INDEX cats_cat_lover_id_idx ON cats (cat_lover_id);
            """;
    static final String V3 = """
            -- Copy every cat out of cat_lovers.
            INSERT INTO cats (name, color, cat_lover_id)
            SELECT cat_name, cat_color, id FROM cat_lovers WHERE cat_name IS NOT NULL;
            -- dbtool:verify (select count(*) from cats) = (select count(*) from cat_lovers where cat_name is not null)
            """;
    static final String V4 = """
            -- New optional columns; now() is stable, so PG11+ stores it once instead of rewriting.
            ALTER TABLE cats ADD COLUMN adopted_on date;
            ALTER TABLE cat_lovers ADD COLUMN joined_at timestamptz DEFAULT now();
            """;
    static final String V5 = """
            -- Contract: the application no longer reads these columns.
            ALTER TABLE cat_lovers
                DROP COLUMN cat_name,
                DROP COLUMN cat_color;
            """;

    private final MigrationLinter linter = new MigrationLinter();

    @Test
    void everyMigrationIsClean(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("V1__cat_lovers.sql"), V1);
        Files.writeString(dir.resolve("V2__create_cats.sql"), V2);
        Files.writeString(dir.resolve("V3__copy_cats.sql"), V3);
        Files.writeString(dir.resolve("V4__add_dates.sql"), V4);
        Files.writeString(dir.resolve("V5__contract_drop_cat_columns.sql"), V5);

        assertThat(linter.lint(dir)).isEmpty();
    }

    @Test
    void copyStepExposesItsVerifyDirective() {
        assertThat(SqlScript.parse(V3).verifyDirectives()).containsExactly(new VerifyDirective(4,
                "(select count(*) from cats) = (select count(*) from cat_lovers where cat_name is not null)"));
        assertThat(SqlScript.parse(V3).statements()).singleElement()
                .satisfies(s -> assertThat(s.line()).isEqualTo(2));
    }

    @Test
    void droppingTheColumnsOutsideAContractStepIsFlagged() {
        assertThat(linter.lintSql("V5__drop_cat_columns.sql", V5))
                .extracting(LintFinding::rule, LintFinding::line)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("drop-column", 3),
                        org.assertj.core.groups.Tuple.tuple("drop-column", 4));
    }

    @Test
    void indexingCatsLaterIsFlaggedBecauseTheTableThenHasRows() {
        assertThat(linter.lintSql("V6__index_cat_names.sql", "CREATE INDEX cats_name_idx ON cats (name);"))
                .extracting(LintFinding::rule).containsExactly("create-index-non-concurrently");
    }
}
