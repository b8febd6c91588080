package dbtool.migrate.lint;

import java.util.List;
import java.util.Locale;

/** A statement marked by {@code -- dbtool:batch}, with what the migrate command needs to know to repeat it. */
public record BatchedStatement(BatchDirective directive, SqlStatement statement) {

    /** The statement's SQL as written, with {@link BatchDirective#AFTER_PLACEHOLDER} still in it. */
    public String sql() {
        return statement.text();
    }

    /**
     * Whether the statement walks its table by key: it uses {@link BatchDirective#AFTER_PLACEHOLDER}, so each batch
     * starts after the highest key the previous one returned instead of scanning past everything already done.
     */
    public boolean walksByKey() {
        return usesAfterPlaceholder(statement.tokens());
    }

    /** Whether the statement has a RETURNING clause (its first column is the key of each row it copied). */
    public boolean returnsKeys() {
        return statement.tokens().stream().anyMatch(t -> t.is("RETURNING"));
    }

    /** {@code $ { dbtool_batch_after }} as the lexer splits it: '$', '{', the word, '}'. */
    static boolean usesAfterPlaceholder(List<Token> t) {
        for (int i = 0; i + 3 < t.size(); i++) {
            if (t.get(i).isSymbol("$") && t.get(i + 1).isSymbol("{")
                    && t.get(i + 2).is(BatchDirective.AFTER_NAME.toUpperCase(Locale.ROOT))
                    && t.get(i + 3).isSymbol("}")) {
                return true;
            }
        }
        return false;
    }
}
