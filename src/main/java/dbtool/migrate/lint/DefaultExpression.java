package dbtool.migrate.lint;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Decides whether a column DEFAULT is volatile. Since PG11 ADD COLUMN with a non-volatile default stores the value
 * once instead of rewriting the table; a volatile one (a new value per row) still rewrites it. We cannot look up
 * volatility without a database, so unknown functions count as volatile and known stable/immutable ones pass.
 */
final class DefaultExpression {
    private DefaultExpression() {}

    static final Set<String> VOLATILE = Set.of(
            "clock_timestamp", "random", "random_normal", "setseed", "gen_random_uuid", "uuidv4", "uuidv7",
            "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4", "nextval", "timeofday",
            "txid_current", "pg_current_xact_id");

    /** Functions (and function-like keywords) that are stable or immutable, so their value is computed once. */
    static final Set<String> NON_VOLATILE = Set.of(
            "now", "transaction_timestamp", "statement_timestamp", "current_timestamp", "localtimestamp",
            "current_time", "localtime", "current_date", "current_setting", "lower", "upper", "trim", "btrim",
            "ltrim", "rtrim", "coalesce", "nullif", "greatest", "least", "length", "char_length", "concat",
            "concat_ws", "substring", "substr", "replace", "left", "right", "lpad", "rpad", "abs", "round",
            "trunc", "floor", "ceil", "ceiling", "md5", "to_char", "to_date", "to_timestamp", "to_number",
            "make_date", "make_time", "make_timestamp", "make_timestamptz", "make_interval", "date_trunc",
            "date_part", "extract", "json_build_object", "jsonb_build_object", "json_build_array",
            "jsonb_build_array", "array_fill", "cast", "row");

    /** Words that end a DEFAULT expression inside a column definition. */
    private static final Set<String> COLUMN_CONSTRAINT_WORDS = Set.of(
            "NOT", "NULL", "CONSTRAINT", "CHECK", "UNIQUE", "PRIMARY", "REFERENCES", "GENERATED", "COLLATE",
            "DEFAULT");

    /**
     * The first call in the DEFAULT expression starting at {@code from} (just after DEFAULT) that is volatile or
     * not known to be safe; empty when the default is a constant or only calls known non-volatile functions.
     */
    static Optional<String> volatileCall(List<Token> tokens, int from) {
        int end = expressionEnd(tokens, from);
        for (int i = from; i < end; i++) {
            Token t = tokens.get(i);
            boolean call = t.isName() && i + 1 < end && tokens.get(i + 1).isSymbol("(");
            // numeric(10,2) after :: or CAST(... AS ...) is a type modifier, not a call.
            boolean typeName = i > 0 && (tokens.get(i - 1).isSymbol("::") || tokens.get(i - 1).is("AS"));
            if (call && !typeName && !NON_VOLATILE.contains(t.name())) {
                return Optional.of(t.name());
            }
        }
        return Optional.empty();
    }

    private static int expressionEnd(List<Token> tokens, int from) {
        int depth = 0;
        for (int i = from; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            if (t.isSymbol("(") || t.isSymbol("[")) {
                depth++;
            } else if (t.isSymbol(")") || t.isSymbol("]")) {
                depth--;
            } else if (depth == 0 && i > from && t.kind() == Token.Kind.WORD
                    && COLUMN_CONSTRAINT_WORDS.contains(t.text())) {
                return i;
            }
        }
        return tokens.size();
    }
}
