package dbtool.migrate.lint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dbtool.migrate.lint.Token.Kind;
import java.util.List;
import org.junit.jupiter.api.Test;

class SqlScriptTest {

    private static List<String> texts(SqlScript script) {
        return script.statements().stream().map(SqlStatement::text).toList();
    }

    @Test
    void splitsOnSemicolonsAndKeepsStartingLines() {
        SqlScript script = SqlScript.parse("""
                -- header comment
                CREATE TABLE a (id int);

                INSERT INTO a
                  VALUES (1);  SELECT 1
                """);

        assertThat(script.statements()).extracting(SqlStatement::line).containsExactly(2, 4, 5);
        assertThat(texts(script)).containsExactly("CREATE TABLE a (id int)", "INSERT INTO a\n  VALUES (1)",
                "SELECT 1");
    }

    @Test
    void wordsAreUpperCasedAndQuotedIdentifiersKeepTheirCase() {
        List<Token> tokens = SqlScript.parse("select \"Order\", x from t").statements().get(0).tokens();

        assertThat(tokens).extracting(Token::text).containsExactly("SELECT", "Order", ",", "X", "FROM", "T");
        assertThat(tokens.get(1).kind()).isEqualTo(Kind.IDENT);
        assertThat(SqlScript.parse("select \"select\"").statements().get(0).tokens().get(1).is("SELECT")).isFalse();
    }

    @Test
    void semicolonsInsideStringsCommentsIdentifiersAndDollarQuotesDoNotSplit() {
        SqlScript script = SqlScript.parse("""
                SELECT 'a;b', E'c\\';d', 'it''s;';
                SELECT "x;y" /* ; /* nested ; */ still ; */ FROM t; -- trailing ; comment
                CREATE FUNCTION f() RETURNS int AS $body$ BEGIN; RETURN $$;$$; END $body$ LANGUAGE plpgsql;
                DO $$ BEGIN PERFORM 1; END $$;
                """);

        assertThat(script.statements()).extracting(SqlStatement::line).containsExactly(1, 2, 3, 4);
        assertThat(script.statements().get(0).tokens()).filteredOn(t -> t.kind() == Kind.STRING)
                .extracting(Token::text).containsExactly("a;b", "c';d", "it's;");
        assertThat(script.statements().get(2).tokens()).filteredOn(t -> t.kind() == Kind.STRING)
                .extracting(Token::text).containsExactly(" BEGIN; RETURN $$;$$; END ");
    }

    @Test
    void escapeStringWithBackslashQuoteIsOneToken() {
        List<Token> tokens = SqlScript.parse("SELECT E'\\'', e'\\\\' ; SELECT 2").statements().get(0).tokens();

        assertThat(tokens).extracting(Token::kind).containsExactly(Kind.WORD, Kind.STRING, Kind.SYMBOL, Kind.STRING);
        assertThat(tokens.get(1).text()).isEqualTo("'");
        assertThat(tokens.get(3).text()).isEqualTo("\\");
    }

    @Test
    void plainStringBackslashIsNotAnEscape() {
        // standard_conforming_strings: 'a\' is a complete string, so the ';' after it ends the statement.
        assertThat(SqlScript.parse("SELECT 'a\\'; SELECT 2").statements()).hasSize(2);
    }

    @Test
    void nestedBlockCommentsAreSkippedAndLinesCounted() {
        SqlScript script = SqlScript.parse("/* outer\n /* inner\n */ still comment; DROP TABLE x;\n*/\nSELECT 1;");

        assertThat(script.statements()).hasSize(1);
        assertThat(script.statements().get(0).line()).isEqualTo(5);
    }

    @Test
    void multiLineStringsAdvanceTheLineCount() {
        SqlScript script = SqlScript.parse("SELECT 'a\nb\nc';\nSELECT $x$\n$x$;\nSELECT 3;");

        assertThat(script.statements()).extracting(SqlStatement::line).containsExactly(1, 4, 6);
    }

    @Test
    void positionalParametersAndIdentifiersWithDollarAreNotDollarQuotes() {
        List<Token> tokens = SqlScript.parse("SELECT a$b, $1 FROM t").statements().get(0).tokens();

        assertThat(tokens).extracting(Token::text).containsExactly("SELECT", "A$B", ",", "$1", "FROM", "T");
    }

    @Test
    void sqlStandardFunctionBodyIsOneStatement() {
        SqlScript script = SqlScript.parse("""
                CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql
                BEGIN ATOMIC
                  SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END;
                  SELECT 2;
                END;
                SELECT 3;
                """);

        assertThat(script.statements()).extracting(SqlStatement::line).containsExactly(1, 6);
    }

    @Test
    void allowDirectivesCollectRuleNames() {
        SqlScript script = SqlScript.parse("""
                -- dbtool:allow drop-column
                SELECT 1; -- dbtool:allow set-not-null, vacuum-full
                /* dbtool:allow cluster */
                SELECT '-- dbtool:allow drop-table';
                """);

        assertThat(script.allowedRules()).containsExactlyInAnyOrder("drop-column", "set-not-null", "vacuum-full");
    }

    @Test
    void verifyDirectivesKeepLineAndExpression() {
        SqlScript script = SqlScript.parse("""
                INSERT INTO cats SELECT 1;
                -- dbtool:verify (select count(*) from cats) = 1
                --dbtool:verify true
                """);

        assertThat(script.verifyDirectives()).containsExactly(
                new VerifyDirective(2, "(select count(*) from cats) = 1"), new VerifyDirective(3, "true"));
    }

    @Test
    void batchDirectiveMarksTheNextStatement() {
        SqlScript script = SqlScript.parse("""
                -- copy the cats
                -- dbtool:batch 5000
                INSERT INTO cats (name, cat_lover_id)
                SELECT cat_name, id FROM cat_lovers cl WHERE cl.id > ${dbtool_batch_after}
                  AND NOT EXISTS (SELECT 1 FROM cats c WHERE c.cat_lover_id = cl.id)
                ORDER BY cl.id LIMIT 5000
                RETURNING cat_lover_id;
                """);

        assertThat(script.batchDirectives()).containsExactly(new BatchDirective(2, 5000));
        assertThat(script.batched()).hasValueSatisfying(b -> {
            assertThat(b.statement().line()).isEqualTo(3);
            assertThat(b.sql()).startsWith("INSERT INTO cats").endsWith("RETURNING cat_lover_id")
                    .contains("cl.id > ${dbtool_batch_after}");
            assertThat(b.walksByKey()).isTrue();
            assertThat(b.returnsKeys()).isTrue();
        });
        assertThat(SqlScript.parse("-- dbtool:batch 10\nDELETE FROM t WHERE id IN (SELECT id FROM t LIMIT 10);")
                .batched()).hasValueSatisfying(b -> assertThat(b.walksByKey()).isFalse());
        assertThat(SqlScript.parse("SELECT 1;").batched()).isEmpty();
    }

    @Test
    void batchWithoutAPositiveRowCountIsAnError() {
        for (String bad : new String[] {"", "0", "-5", "lots", "5000 rows", "99999999999"}) {
            assertThatThrownBy(() -> SqlScript.parse("SELECT 1;\n-- dbtool:batch " + bad + "\nSELECT 2;"))
                    .as(bad).isInstanceOfSatisfying(SqlSyntaxException.class, e -> {
                        assertThat(e.line()).isEqualTo(2);
                        assertThat(e.getMessage()).contains("dbtool:batch 5000");
                    });
        }
    }

    @Test
    void emptyVerifyIsAnError() {
        assertThatThrownBy(() -> SqlScript.parse("SELECT 1;\n-- dbtool:verify   \n"))
                .isInstanceOf(SqlSyntaxException.class)
                .satisfies(e -> assertThat(((SqlSyntaxException) e).line()).isEqualTo(2));
    }

    @Test
    void unterminatedConstructsReportTheirStartLine() {
        assertThatThrownBy(() -> SqlScript.parse("SELECT 1;\nSELECT 'abc")).isInstanceOf(SqlSyntaxException.class)
                .hasMessageContaining("string").satisfies(e -> assertThat(((SqlSyntaxException) e).line()).isEqualTo(2));
        assertThatThrownBy(() -> SqlScript.parse("/* a /* b */")).hasMessageContaining("comment");
        assertThatThrownBy(() -> SqlScript.parse("SELECT $f$ body")).hasMessageContaining("$f$");
        assertThatThrownBy(() -> SqlScript.parse("SELECT \"x")).hasMessageContaining("identifier");
    }

    @Test
    void commentOnlyScriptHasNoStatements() {
        assertThat(SqlScript.parse("-- nothing\n/* here */\n;;").statements()).isEmpty();
    }
}
