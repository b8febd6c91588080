package dbtool.migrate.lint;

import java.util.List;

/** One statement of a script: the 1-based line it starts on, its source text (without the ';') and its tokens. */
public record SqlStatement(int line, String text, List<Token> tokens) {

    public SqlStatement {
        tokens = List.copyOf(tokens);
    }
}
