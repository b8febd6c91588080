package dbtool.migrate.lint;

import java.util.List;
import java.util.Set;

/**
 * A SQL script split into statements, plus the dbtool directives found in its {@code --} comments.
 *
 * <ul>
 *   <li>{@code -- dbtool:allow rule[, rule...]} silences those lint rules for the whole file;
 *   <li>{@code -- dbtool:verify <SQL boolean expression>} is a data check for the migrate command.
 * </ul>
 */
public final class SqlScript {
    private final List<SqlStatement> statements;
    private final List<VerifyDirective> verifyDirectives;
    private final Set<String> allowedRules;

    SqlScript(List<SqlStatement> statements, List<VerifyDirective> verifyDirectives, Set<String> allowedRules) {
        this.statements = List.copyOf(statements);
        this.verifyDirectives = List.copyOf(verifyDirectives);
        this.allowedRules = Set.copyOf(allowedRules);
    }

    /**
     * Splits {@code sql} into statements.
     *
     * @throws SqlSyntaxException when a string, quoted identifier, dollar quote or block comment is never closed,
     *     or a {@code dbtool:verify} line has no expression
     */
    public static SqlScript parse(String sql) {
        return new SqlLexer(sql).run();
    }

    public List<SqlStatement> statements() {
        return statements;
    }

    public List<VerifyDirective> verifyDirectives() {
        return verifyDirectives;
    }

    /** Rule names named by {@code -- dbtool:allow} anywhere in the script. */
    public Set<String> allowedRules() {
        return allowedRules;
    }
}
