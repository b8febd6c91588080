package dbtool.migrate.lint;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MigrationLinterTest {
    private static final String FILE = "V7__change.sql";

    private final MigrationLinter linter = new MigrationLinter();

    private List<String> rules(String fileName, String sql) {
        return linter.lintSql(fileName, sql).stream().map(LintFinding::rule).toList();
    }

    private List<String> rules(String sql) {
        return rules(FILE, sql);
    }

    // --- one failing and one passing (safe) sample per rule ---

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', textBlock = """
            create-index-non-concurrently     | CREATE INDEX cats_color_idx ON cats (color)
            create-index-non-concurrently     | create unique index if not exists u ON ONLY public.cats USING btree (name)
            drop-index-non-concurrently       | DROP INDEX IF EXISTS cats_color_idx
            add-column-volatile-default       | ALTER TABLE cats ADD COLUMN token uuid DEFAULT gen_random_uuid()
            add-column-volatile-default       | ALTER TABLE cats ADD COLUMN seen timestamptz NOT NULL DEFAULT clock_timestamp()
            add-column-volatile-default       | ALTER TABLE cats ADD COLUMN r float8 DEFAULT (random() * 10)
            add-column-volatile-default       | ALTER TABLE cats ADD n bigint DEFAULT nextval('s'::regclass)
            add-column-volatile-default       | ALTER TABLE cats ADD COLUMN x text DEFAULT my_func()
            add-column-volatile-default       | ALTER TABLE cats ADD COLUMN n bigserial
            add-column-volatile-default       | ALTER TABLE cats ADD COLUMN n int GENERATED ALWAYS AS IDENTITY
            set-not-null                      | ALTER TABLE cats ALTER COLUMN name SET NOT NULL
            add-foreign-key-without-not-valid | ALTER TABLE cats ADD CONSTRAINT fk FOREIGN KEY (cat_lover_id) REFERENCES cat_lovers (id)
            add-foreign-key-without-not-valid | ALTER TABLE cats ADD FOREIGN KEY (cat_lover_id) REFERENCES cat_lovers
            add-foreign-key-without-not-valid | ALTER TABLE cats ADD COLUMN owner_id int REFERENCES cat_lovers (id)
            add-check-without-not-valid       | ALTER TABLE cats ADD CONSTRAINT name_len CHECK (length(name) < 100)
            add-check-without-not-valid       | ALTER TABLE cats ADD CHECK (color <> '')
            add-unique-constraint             | ALTER TABLE cats ADD CONSTRAINT cats_name_key UNIQUE (name)
            add-unique-constraint             | ALTER TABLE cats ADD PRIMARY KEY (id)
            add-unique-constraint             | ALTER TABLE cats ADD COLUMN code text UNIQUE
            alter-column-type                 | ALTER TABLE cats ALTER COLUMN color TYPE varchar(20)
            alter-column-type                 | ALTER TABLE cats ALTER color SET DATA TYPE bigint
            drop-column                       | ALTER TABLE cat_lovers DROP COLUMN cat_name
            drop-column                       | ALTER TABLE cat_lovers DROP IF EXISTS cat_name CASCADE
            drop-table                        | DROP TABLE IF EXISTS old_cats CASCADE
            rename-column                     | ALTER TABLE cats RENAME COLUMN color TO colour
            rename-column                     | ALTER TABLE cats RENAME color TO colour
            rename-table                      | ALTER TABLE IF EXISTS cats RENAME TO felines
            vacuum-full                       | VACUUM FULL cats
            vacuum-full                       | VACUUM (FULL, ANALYZE) cats
            cluster                           | CLUSTER cats USING cats_pkey
            truncate-cascade                  | TRUNCATE TABLE cat_lovers CASCADE
            """)
    void flagsTheHazard(String rule, String sql) {
        assertThat(rules(sql + ";")).containsExactly(rule);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            create-index-non-concurrently     | CREATE INDEX CONCURRENTLY cats_color_idx ON cats (color)
            drop-index-non-concurrently       | DROP INDEX CONCURRENTLY IF EXISTS cats_color_idx
            add-column-volatile-default       | ALTER TABLE cats ADD COLUMN created timestamptz NOT NULL DEFAULT now()
            add-column-volatile-default       | ALTER TABLE cats ADD COLUMN lives int DEFAULT 9 CHECK (lives > 0) NOT VALID
            add-column-volatile-default       | ALTER TABLE cats ADD COLUMN amount numeric(10,2) DEFAULT CAST(0 AS numeric(10,2))
            add-column-volatile-default       | ALTER TABLE cats ADD COLUMN tags text[] DEFAULT '{}'::varchar(10)[]
            add-column-volatile-default       | ALTER TABLE cats ADD COLUMN note text DEFAULT 'random()'
            add-column-volatile-default       | ALTER TABLE cats ALTER COLUMN token SET DEFAULT gen_random_uuid()
            set-not-null                      | ALTER TABLE cats ADD CONSTRAINT name_nn CHECK (name IS NOT NULL) NOT VALID
            set-not-null                      | ALTER TABLE cats ALTER COLUMN name DROP NOT NULL
            add-foreign-key-without-not-valid | ALTER TABLE cats ADD CONSTRAINT fk FOREIGN KEY (cat_lover_id) REFERENCES cat_lovers (id) NOT VALID
            add-foreign-key-without-not-valid | ALTER TABLE cats VALIDATE CONSTRAINT fk
            add-check-without-not-valid       | ALTER TABLE cats ADD CONSTRAINT name_len CHECK (length(name) < 100) NOT VALID
            add-unique-constraint             | ALTER TABLE cats ADD CONSTRAINT cats_name_key UNIQUE USING INDEX cats_name_idx
            add-unique-constraint             | ALTER TABLE cats ADD CONSTRAINT cats_pkey PRIMARY KEY USING INDEX cats_id_idx
            alter-column-type                 | ALTER TABLE cats ALTER COLUMN color SET DEFAULT 'grey'
            drop-column                       | ALTER TABLE cats DROP CONSTRAINT name_len
            drop-table                        | DROP VIEW old_cats
            rename-column                     | ALTER TABLE cats RENAME CONSTRAINT a TO b
            vacuum-full                       | VACUUM (ANALYZE) cats
            vacuum-full                       | VACUUM (FULL false) cats
            cluster                           | ANALYZE cats
            truncate-cascade                  | TRUNCATE cats, cat_lovers
            """)
    void safeFormPasses(String rule, String sql) {
        assertThat(rules(sql + ";")).isEmpty();
    }

    @Test
    void contractStepMayDropAndRename() {
        String sql = """
                ALTER TABLE cat_lovers DROP COLUMN cat_name, DROP COLUMN cat_color;
                ALTER TABLE cats RENAME COLUMN color TO colour;
                ALTER TABLE cats RENAME TO felines;
                DROP TABLE old_cats;
                """;

        assertThat(rules("V5__contract_drop_cat_columns.sql", sql)).isEmpty();
        assertThat(rules("V5__drop_cat_columns.sql", sql))
                .containsExactly("drop-column", "drop-column", "rename-column", "rename-table", "drop-table");
    }

    @Test
    void tablesCreatedInTheSameFileAreFreeToChange() {
        assertThat(rules("""
                CREATE TABLE IF NOT EXISTS toys (id int, name text);
                CREATE INDEX toys_name_idx ON toys (name);
                ALTER TABLE toys ADD CONSTRAINT toys_name_key UNIQUE (name), ALTER COLUMN name SET NOT NULL;
                ALTER TABLE toys ADD COLUMN token uuid DEFAULT gen_random_uuid();
                ALTER TABLE toys RENAME TO cat_toys;
                ALTER TABLE cat_toys DROP COLUMN name;
                DROP INDEX toys_name_idx;
                DROP TABLE cat_toys;
                """)).isEmpty();
    }

    @Test
    void droppingAMixOfNewAndExistingTablesFlagsOnlyTheExistingOnes() {
        List<LintFinding> findings = linter.lintSql(FILE, "CREATE TABLE tmp (id int);\nDROP TABLE tmp, cats;");

        assertThat(findings).singleElement().satisfies(f -> {
            assertThat(f.rule()).isEqualTo("drop-table");
            assertThat(f.message()).contains("cats").doesNotContain("tmp");
        });
    }

    @Test
    void concurrentlyAloneInAFileIsFine() {
        assertThat(rules("CREATE INDEX CONCURRENTLY cats_color_idx ON cats (color);")).isEmpty();
        assertThat(rules("-- why: lookups by color\nDROP INDEX CONCURRENTLY cats_color_idx;")).isEmpty();
    }

    @Test
    void concurrentlyWithOtherStatementsIsFlagged() {
        assertThat(rules("""
                SET lock_timeout = '5s';
                CREATE INDEX CONCURRENTLY cats_color_idx ON cats (color);
                """)).containsExactly("concurrently-in-transaction");
        assertThat(rules("""
                BEGIN;
                CREATE INDEX CONCURRENTLY cats_color_idx ON cats (color);
                COMMIT;
                """)).containsExactly("concurrently-in-transaction");
        assertThat(rules("SELECT 1;\nREFRESH MATERIALIZED VIEW CONCURRENTLY cat_stats;")).isEmpty();
    }

    @Test
    void batchedBackfillAloneWithLimitAndSkipIsClean() {
        assertThat(rules("""
                -- dbtool:batch 5000
                INSERT INTO cats (name, color, cat_lover_id)
                SELECT cl.cat_name, cl.cat_color, cl.id FROM cat_lovers cl
                WHERE cl.id > ${dbtool_batch_after} AND cl.cat_name IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM cats c WHERE c.cat_lover_id = cl.id)
                ORDER BY cl.id LIMIT 5000 FOR SHARE OF cl
                RETURNING cat_lover_id;
                -- dbtool:verify NOT EXISTS (SELECT 1 FROM cat_lovers WHERE false)
                """)).isEmpty();
        assertThat(rules("-- dbtool:batch 100\nUPDATE cats SET color = lower(color)"
                + " WHERE id IN (SELECT id FROM cats WHERE color <> lower(color) LIMIT 100);")).isEmpty();
    }

    @Test
    void batchedStatementMistakesAreFlaggedWithTheirLine() {
        List<LintFinding> notAlone = linter.lintSql(FILE, """
                CREATE TABLE toys (id int);
                -- dbtool:batch 10
                INSERT INTO toys SELECT id FROM cats WHERE NOT EXISTS (SELECT 1 FROM toys) LIMIT 10;
                """);
        assertThat(notAlone).singleElement().satisfies(f -> {
            assertThat(f.rule()).isEqualTo("batch-statement");
            assertThat(f.line()).isEqualTo(2);
            assertThat(f.message()).contains("alone in its file");
        });
        assertThat(linter.lintSql(FILE, "-- dbtool:batch 10\nINSERT INTO toys SELECT id FROM cats LIMIT 10;"))
                .singleElement().satisfies(f -> assertThat(f.message()).contains("NOT EXISTS"));
        assertThat(linter.lintSql(FILE, "-- dbtool:batch 10\nINSERT INTO toys SELECT id FROM cats"
                + " ON CONFLICT DO NOTHING;")).singleElement().satisfies(f -> {
                    assertThat(f.line()).isEqualTo(2);
                    assertThat(f.message()).contains("LIMIT 10");
                });
        assertThat(linter.lintSql(FILE, "-- dbtool:batch 10\nINSERT INTO toys SELECT id FROM cats"
                + " WHERE id > ${dbtool_batch_after} ORDER BY id LIMIT 10 ON CONFLICT DO NOTHING;"))
                .singleElement().satisfies(f -> assertThat(f.message()).contains("no RETURNING"));
        assertThat(rules("-- dbtool:batch 10\nSELECT 1 LIMIT 10;")).containsExactly("batch-statement");
        assertThat(rules("SELECT 1;\n-- dbtool:batch 10\n")).containsExactly("batch-statement");
        assertThat(rules("-- dbtool:batch 10\n-- dbtool:batch 20\nDELETE FROM t WHERE id IN"
                + " (SELECT id FROM t LIMIT 10);")).containsExactly("batch-statement");
    }

    @Test
    void beginWithoutCommit() {
        List<LintFinding> findings = linter.lintSql(FILE, "SELECT 1;\nBEGIN;\nUPDATE cats SET color = 'black';\n");

        assertThat(findings).extracting(LintFinding::rule, LintFinding::line)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("begin-without-commit", 2));
        assertThat(rules("START TRANSACTION;\nUPDATE cats SET color = 'x';\nROLLBACK TO SAVEPOINT s;"))
                .containsExactly("begin-without-commit");
        assertThat(rules("BEGIN;\nUPDATE cats SET color = 'black';\nCOMMIT;")).isEmpty();
        assertThat(rules("BEGIN;\nUPDATE cats SET color = 'black';\nEND;")).isEmpty();
        assertThat(rules("START TRANSACTION;\nUPDATE cats SET color = 'black';\nROLLBACK;")).isEmpty();
    }

    // --- keywords hidden from the rules ---

    @Test
    void keywordsInStringsCommentsQuotedIdentifiersAndFunctionBodiesDoNotTrigger() {
        assertThat(rules("""
                INSERT INTO audit (note) VALUES ('DROP TABLE cats; VACUUM FULL; CLUSTER cats');
                -- DROP TABLE cats;
                /* ALTER TABLE cats DROP COLUMN name; /* nested: TRUNCATE cats CASCADE; */ */
                SELECT "cluster", "vacuum" FROM "drop table";
                CREATE FUNCTION purge() RETURNS void LANGUAGE plpgsql AS $fn$
                BEGIN
                  DROP TABLE cats;
                  EXECUTE 'CREATE INDEX i ON cats (name)';
                END
                $fn$;
                DO $$ BEGIN TRUNCATE cats CASCADE; END $$;
                SELECT E'it\\'s; DROP TABLE cats';
                """)).isEmpty();
    }

    @Test
    void quotedIdentifierIsNotMatchedAsKeyword() {
        // "CONCURRENTLY" here is an index name, not the keyword.
        assertThat(rules("CREATE INDEX \"CONCURRENTLY\" ON cats (color);"))
                .containsExactly("create-index-non-concurrently");
    }

    // --- directives, lines, order, format ---

    @Test
    void allowSilencesOnlyThatRule() {
        String sql = """
                -- dbtool:allow set-not-null
                ALTER TABLE cats ALTER COLUMN name SET NOT NULL;
                ALTER TABLE cats ALTER COLUMN color TYPE text;
                """;

        assertThat(rules(sql)).containsExactly("alter-column-type");
        assertThat(rules(sql.replace("set-not-null", "set-not-null, alter-column-type"))).isEmpty();
    }

    @Test
    void findingsCarryStatementAndActionLines() {
        List<LintFinding> findings = linter.lintSql("migrations/V8__x.sql", """
                -- comment

                VACUUM FULL
                  cats;
                ALTER TABLE cats
                  ADD COLUMN n bigserial,
                  ALTER COLUMN name SET NOT NULL;
                """);

        assertThat(findings).extracting(LintFinding::line, LintFinding::rule).containsExactly(
                org.assertj.core.groups.Tuple.tuple(3, "vacuum-full"),
                org.assertj.core.groups.Tuple.tuple(6, "add-column-volatile-default"),
                org.assertj.core.groups.Tuple.tuple(7, "set-not-null"));
        assertThat(findings.get(0).file()).isEqualTo(Path.of("migrations/V8__x.sql"));
    }

    @Test
    void formatIsOneLine() {
        LintFinding finding = linter.lintSql("db/V9__idx.sql", "\nCREATE INDEX i ON cats (color);").get(0);

        assertThat(MigrationLinter.format(finding)).isEqualTo("db/V9__idx.sql:2: [create-index-non-concurrently]"
                + " CREATE INDEX on existing table cats without CONCURRENTLY blocks writes to it until the index"
                + " is built. Safe: CREATE INDEX CONCURRENTLY, alone in a migration file of its own");
        assertThat(linter.lintSql(FILE, "VACUUM FULL; CLUSTER; DROP TABLE t; TRUNCATE t CASCADE;"))
                .map(MigrationLinter::format).allSatisfy(line -> assertThat(line).doesNotContain("\n"));
    }

    @Test
    void unparsableFileIsOneSyntaxErrorFinding() {
        assertThat(linter.lintSql(FILE, "SELECT 1;\nSELECT 'oops;\nDROP TABLE cats;"))
                .extracting(LintFinding::rule, LintFinding::line)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("syntax-error", 2));
    }

    @Test
    void directoryIsLintedInFlywayVersionOrder(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("V10__ten.sql"), "VACUUM FULL;");
        Files.writeString(dir.resolve("V9__nine.sql"), "CLUSTER cats;");
        Files.writeString(dir.resolve("V1_1__one_one.sql"), "TRUNCATE t CASCADE;");
        Files.writeString(dir.resolve("R__views.sql"), "DROP TABLE old;");
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub/V2__two.sql"), "\n\nDROP INDEX i;\nDROP TABLE t;");
        Files.writeString(dir.resolve("notes.txt"), "DROP TABLE x;");

        List<LintFinding> findings = linter.lint(dir);

        assertThat(findings).extracting(f -> f.file().getFileName().toString() + ":" + f.line()).containsExactly(
                "V1_1__one_one.sql:1", "V2__two.sql:3", "V2__two.sql:4", "V9__nine.sql:1", "V10__ten.sql:1",
                "R__views.sql:1");
        assertThat(linter.lint(dir.resolve("V9__nine.sql"))).extracting(LintFinding::rule).containsExactly("cluster");
    }

    @Test
    void everyRuleIdIsKebabCaseAndUnique() {
        assertThat(LintRule.values()).extracting(LintRule::id).doesNotHaveDuplicates()
                .allMatch(id -> id.matches("[a-z]+(-[a-z]+)*"));
        assertThat(LintRule.byId("set-not-null")).contains(LintRule.SET_NOT_NULL);
    }
}
