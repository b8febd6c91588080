package dbtool.migrate.lint;

import java.util.ArrayList;
import java.util.List;

/** Small matchers over token lists, so rules read as keyword sequences. Only unquoted words match keywords. */
final class Tokens {
    private Tokens() {}

    /** A possibly schema-qualified name read at some index: its last part (what rules compare) and what follows. */
    record Name(String name, int next) {}

    static boolean isWord(List<Token> tokens, int index, String keyword) {
        return index >= 0 && index < tokens.size() && tokens.get(index).is(keyword);
    }

    /** True when the keywords appear in order starting at {@code index}. */
    static boolean matches(List<Token> tokens, int index, String... keywords) {
        for (int k = 0; k < keywords.length; k++) {
            if (!isWord(tokens, index + k, keywords[k])) {
                return false;
            }
        }
        return true;
    }

    /** True when the keyword sequence appears anywhere, e.g. NOT VALID. */
    static boolean contains(List<Token> tokens, String... keywords) {
        for (int i = 0; i < tokens.size(); i++) {
            if (matches(tokens, i, keywords)) {
                return true;
            }
        }
        return false;
    }

    /** The index after the keyword sequence if it is at {@code index}, else {@code index}: skips optional words. */
    static int skip(List<Token> tokens, int index, String... keywords) {
        return matches(tokens, index, keywords) ? index + keywords.length : index;
    }

    /** Reads {@code a}, {@code a.b} or {@code "A"."b"} at {@code index}; null when no name is there. */
    static Name name(List<Token> tokens, int index) {
        if (index >= tokens.size() || !tokens.get(index).isName()) {
            return null;
        }
        int i = index;
        while (i + 2 < tokens.size() && tokens.get(i + 1).isSymbol(".") && tokens.get(i + 2).isName()) {
            i += 2;
        }
        return new Name(tokens.get(i).name(), i + 1);
    }

    /** Splits {@code tokens[from..]} on commas outside parentheses and brackets. */
    static List<List<Token>> splitTopLevel(List<Token> tokens, int from) {
        List<List<Token>> parts = new ArrayList<>();
        int depth = 0;
        int start = from;
        for (int i = from; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            if (t.isSymbol("(") || t.isSymbol("[")) {
                depth++;
            } else if (t.isSymbol(")") || t.isSymbol("]")) {
                depth--;
            } else if (t.isSymbol(",") && depth == 0) {
                parts.add(tokens.subList(start, i));
                start = i + 1;
            }
        }
        if (start < tokens.size()) {
            parts.add(tokens.subList(start, tokens.size()));
        }
        return parts;
    }

    /** Index of the first {@code keyword} at parenthesis depth 0 from {@code from}, or -1. */
    static int indexOfTopLevel(List<Token> tokens, int from, String keyword) {
        int depth = 0;
        for (int i = from; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            if (t.isSymbol("(") || t.isSymbol("[")) {
                depth++;
            } else if (t.isSymbol(")") || t.isSymbol("]")) {
                depth--;
            } else if (depth == 0 && t.is(keyword)) {
                return i;
            }
        }
        return -1;
    }
}
