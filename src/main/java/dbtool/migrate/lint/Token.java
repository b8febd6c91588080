package dbtool.migrate.lint;

/**
 * One lexical token of a SQL statement.
 *
 * <p>{@code text} is upper-cased for {@link Kind#WORD} (unquoted keywords and identifiers fold to one case in
 * PostgreSQL, so rules compare upper case), the exact name for {@link Kind#IDENT} (a quoted identifier keeps its
 * case and is never a keyword), and the content for {@link Kind#STRING}.
 */
public record Token(Kind kind, String text, int line) {

    public enum Kind {
        /** An unquoted keyword or identifier. */
        WORD,
        /** A double-quoted identifier: {@code "order"} is a name, never the keyword ORDER. */
        IDENT,
        /** A string constant: '...', E'...', or a dollar-quoted body. Its content is opaque to rules. */
        STRING,
        NUMBER,
        /** A positional parameter such as $1. */
        PARAM,
        /** Punctuation and operators; {@code ::} is one token, everything else one character. */
        SYMBOL
    }

    /** True when this is the unquoted keyword {@code keyword} (given in upper case). */
    public boolean is(String keyword) {
        return kind == Kind.WORD && text.equals(keyword);
    }

    public boolean isSymbol(String symbol) {
        return kind == Kind.SYMBOL && text.equals(symbol);
    }

    /** True for anything that can name a table, column, index or function. */
    public boolean isName() {
        return kind == Kind.WORD || kind == Kind.IDENT;
    }

    /** The name as PostgreSQL resolves it: unquoted names fold to lower case, quoted ones keep theirs. */
    public String name() {
        return kind == Kind.WORD ? text.toLowerCase(java.util.Locale.ROOT) : text;
    }
}
