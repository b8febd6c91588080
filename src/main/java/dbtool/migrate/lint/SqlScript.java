package dbtool.migrate.lint;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A SQL script split into statements, plus the dbtool directives found in its {@code --} comments.
 *
 * <ul>
 *   <li>{@code -- dbtool:allow rule[, rule...]} silences those lint rules for the whole file;
 *   <li>{@code -- dbtool:verify <SQL boolean expression>} is a data check for the migrate command;
 *   <li>{@code -- dbtool:batch <rows>} marks the next statement as a backfill the migrate command repeats in
 *       short transactions until it copies nothing.
 * </ul>
 */
public final class SqlScript {
    private final List<SqlStatement> statements;
    private final List<VerifyDirective> verifyDirectives;
    private final List<BatchDirective> batchDirectives;
    private final Set<String> allowedRules;

    SqlScript(List<SqlStatement> statements, List<VerifyDirective> verifyDirectives,
            List<BatchDirective> batchDirectives, Set<String> allowedRules) {
        this.statements = List.copyOf(statements);
        this.verifyDirectives = List.copyOf(verifyDirectives);
        this.batchDirectives = List.copyOf(batchDirectives);
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

    public List<BatchDirective> batchDirectives() {
        return batchDirectives;
    }

    /**
     * The statement a {@code -- dbtool:batch} line marks: the first one after the line, if the file has exactly one
     * such line. What else must hold for it (alone in its file, a LIMIT) is the linter's business.
     */
    public Optional<BatchedStatement> batched() {
        if (batchDirectives.size() != 1) {
            return Optional.empty();
        }
        BatchDirective directive = batchDirectives.get(0);
        return statements.stream().filter(s -> s.line() > directive.line()).findFirst()
                .map(s -> new BatchedStatement(directive, s));
    }

    /** Rule names named by {@code -- dbtool:allow} anywhere in the script. */
    public Set<String> allowedRules() {
        return allowedRules;
    }
}
