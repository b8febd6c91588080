package dbtool.migrate.lint;

import dbtool.migrate.lint.Token.Kind;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Tokenizes a PostgreSQL script and splits it into statements on ';' outside comments, strings, quoted identifiers
 * and dollar quotes. One instance reads one script; it is not reusable.
 */
final class SqlLexer {
    private static final String ALLOW = "dbtool:allow";
    private static final String VERIFY = "dbtool:verify";
    private static final String BATCH = "dbtool:batch";

    private final String sql;
    private int pos;
    private int line = 1;

    private final List<SqlStatement> statements = new ArrayList<>();
    private final List<VerifyDirective> verifyDirectives = new ArrayList<>();
    private final List<BatchDirective> batchDirectives = new ArrayList<>();
    private final Set<String> allowedRules = new LinkedHashSet<>();

    private List<Token> tokens = new ArrayList<>();
    private int statementStart = -1;
    /**
     * Nesting inside a SQL-standard function body (CREATE FUNCTION ... BEGIN ATOMIC ... END, PG14+), whose
     * statements end in ';' that must not split the CREATE statement. CASE ... END nests inside it.
     */
    private int atomicDepth;

    SqlLexer(String sql) {
        this.sql = sql;
    }

    SqlScript run() {
        while (pos < sql.length()) {
            char c = sql.charAt(pos);
            char next = pos + 1 < sql.length() ? sql.charAt(pos + 1) : '\0';
            if (Character.isWhitespace(c)) {
                advanceTo(pos + 1);
            } else if (c == '-' && next == '-') {
                lineComment();
            } else if (c == '/' && next == '*') {
                blockComment();
            } else if (c == '\'') {
                string(pos, false);
            } else if (c == '"') {
                quotedIdentifier();
            } else if (c == '$' && dollarTagEnd(pos) > 0) {
                dollarString();
            } else if (c == '$' && Character.isDigit(next)) {
                int end = pos + 1;
                while (end < sql.length() && Character.isDigit(sql.charAt(end))) {
                    end++;
                }
                add(Kind.PARAM, sql.substring(pos, end), pos, end);
            } else if (c == ';' && atomicDepth == 0) {
                endStatement(pos);
                advanceTo(pos + 1);
            } else if (isIdentifierStart(c)) {
                word();
            } else if (Character.isDigit(c) || (c == '.' && Character.isDigit(next))) {
                number();
            } else if (c == ':' && next == ':') {
                add(Kind.SYMBOL, "::", pos, pos + 2);
            } else {
                add(Kind.SYMBOL, String.valueOf(c), pos, pos + 1);
            }
        }
        endStatement(sql.length());
        return new SqlScript(statements, verifyDirectives, batchDirectives, allowedRules);
    }

    private void lineComment() {
        int end = sql.indexOf('\n', pos);
        if (end < 0) {
            end = sql.length();
        }
        directive(sql.substring(pos + 2, end).strip());
        advanceTo(end);
    }

    private void directive(String comment) {
        String lower = comment.toLowerCase(Locale.ROOT);
        if (lower.startsWith(ALLOW)) {
            for (String rule : comment.substring(ALLOW.length()).split("[\\s,]+")) {
                if (!rule.isEmpty()) {
                    allowedRules.add(rule.toLowerCase(Locale.ROOT));
                }
            }
        } else if (lower.startsWith(VERIFY)) {
            String expression = comment.substring(VERIFY.length()).strip();
            // An empty check would silently pass; the author meant to check something.
            if (expression.isEmpty()) {
                throw new SqlSyntaxException(line, "dbtool:verify needs a SQL boolean expression");
            }
            verifyDirectives.add(new VerifyDirective(line, expression));
        } else if (lower.startsWith(BATCH)) {
            batchDirectives.add(new BatchDirective(line, batchRows(comment.substring(BATCH.length()).strip())));
        }
    }

    /** The row count of a batch directive; anything else would leave the batch size to guesswork. */
    private long batchRows(String argument) {
        try {
            long rows = argument.matches("[0-9]{1,9}") ? Long.parseLong(argument) : 0;
            if (rows > 0) {
                return rows;
            }
        } catch (NumberFormatException e) {
            // falls through to the error below
        }
        throw new SqlSyntaxException(line, "dbtool:batch needs a positive number of rows per batch, e.g."
                + " -- dbtool:batch 5000");
    }

    /** PostgreSQL block comments nest: {@code /* a /* b *}{@code / still comment *}{@code /}. */
    private void blockComment() {
        int startLine = line;
        int depth = 0;
        int i = pos;
        while (i < sql.length()) {
            if (sql.startsWith("/*", i)) {
                depth++;
                i += 2;
            } else if (sql.startsWith("*/", i)) {
                depth--;
                i += 2;
                if (depth == 0) {
                    advanceTo(i);
                    return;
                }
            } else {
                i++;
            }
        }
        throw new SqlSyntaxException(startLine, "block comment is never closed");
    }

    /** A '...' constant; with {@code escapes} (E'...') a backslash escapes the next character. '' is one quote. */
    private void string(int tokenStart, boolean escapes) {
        int startLine = line;
        StringBuilder content = new StringBuilder();
        int i = pos + 1;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            if (escapes && c == '\\' && i + 1 < sql.length()) {
                content.append(sql.charAt(i + 1));
                i += 2;
            } else if (c == '\'') {
                if (i + 1 < sql.length() && sql.charAt(i + 1) == '\'') {
                    content.append('\'');
                    i += 2;
                } else {
                    add(Kind.STRING, content.toString(), tokenStart, i + 1);
                    return;
                }
            } else {
                content.append(c);
                i++;
            }
        }
        throw new SqlSyntaxException(startLine, "string literal is never closed");
    }

    private void quotedIdentifier() {
        int startLine = line;
        StringBuilder name = new StringBuilder();
        int i = pos + 1;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            if (c == '"') {
                if (i + 1 < sql.length() && sql.charAt(i + 1) == '"') {
                    name.append('"');
                    i += 2;
                } else {
                    add(Kind.IDENT, name.toString(), pos, i + 1);
                    return;
                }
            } else {
                name.append(c);
                i++;
            }
        }
        throw new SqlSyntaxException(startLine, "quoted identifier is never closed");
    }

    /** The index just past a dollar-quote opener ($$ or $tag$) at {@code at}, or -1 if there is none. */
    private int dollarTagEnd(int at) {
        int i = at + 1;
        if (i < sql.length() && isIdentifierStart(sql.charAt(i))) {
            i++;
            while (i < sql.length() && isTagPart(sql.charAt(i))) {
                i++;
            }
        }
        return i < sql.length() && sql.charAt(i) == '$' ? i + 1 : -1;
    }

    private void dollarString() {
        int openEnd = dollarTagEnd(pos);
        String tag = sql.substring(pos, openEnd);
        int close = sql.indexOf(tag, openEnd);
        if (close < 0) {
            throw new SqlSyntaxException(line, "dollar quote " + tag + " is never closed");
        }
        add(Kind.STRING, sql.substring(openEnd, close), pos, close + tag.length());
    }

    private void word() {
        int end = pos + 1;
        while (end < sql.length() && isIdentifierPart(sql.charAt(end))) {
            end++;
        }
        String text = sql.substring(pos, end);
        // E'...' is one escape-string token, not the identifier E followed by a string.
        if (text.equalsIgnoreCase("E") && end < sql.length() && sql.charAt(end) == '\'') {
            int tokenStart = pos;
            advanceTo(end);
            string(tokenStart, true);
            return;
        }
        add(Kind.WORD, text.toUpperCase(Locale.ROOT), pos, end);
    }

    private void number() {
        int end = pos;
        while (end < sql.length()) {
            char c = sql.charAt(end);
            boolean exponentSign = (c == '+' || c == '-') && (sql.charAt(end - 1) == 'e' || sql.charAt(end - 1) == 'E');
            if (Character.isLetterOrDigit(c) || c == '.' || c == '_' || exponentSign) {
                end++;
            } else {
                break;
            }
        }
        add(Kind.NUMBER, sql.substring(pos, end), pos, end);
    }

    private void add(Kind kind, String text, int start, int end) {
        if (tokens.isEmpty()) {
            statementStart = start;
        }
        Token token = new Token(kind, text, line);
        trackAtomicBody(token);
        tokens.add(token);
        advanceTo(end);
    }

    private void trackAtomicBody(Token token) {
        Token previous = tokens.isEmpty() ? null : tokens.get(tokens.size() - 1);
        if (atomicDepth == 0) {
            if (token.is("ATOMIC") && previous != null && previous.is("BEGIN") && tokens.get(0).is("CREATE")) {
                atomicDepth = 1;
            }
        } else if (token.is("CASE") || token.is("BEGIN")) {
            atomicDepth++;
        } else if (token.is("END")) {
            atomicDepth--;
        }
    }

    private void endStatement(int end) {
        if (!tokens.isEmpty()) {
            String text = sql.substring(statementStart, end).strip();
            statements.add(new SqlStatement(tokens.get(0).line(), text, tokens));
        }
        tokens = new ArrayList<>();
        atomicDepth = 0;
    }

    /** Moves to {@code end}, counting the newlines passed so every token knows its line. */
    private void advanceTo(int end) {
        for (int i = pos; i < end; i++) {
            if (sql.charAt(i) == '\n') {
                line++;
            }
        }
        pos = end;
    }

    private static boolean isIdentifierStart(char c) {
        return Character.isLetter(c) || c == '_';
    }

    private static boolean isIdentifierPart(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }

    /** Dollar-quote tags follow identifier rules but cannot contain '$'. */
    private static boolean isTagPart(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }
}
