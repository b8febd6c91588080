package dbtool.verify;

import java.util.Comparator;
import java.util.regex.Pattern;

/**
 * A relation's schema and name. Sides are matched on the pair, not on a joined string, so that
 * schema {@code a.b} table {@code c} is never confused with schema {@code a} table {@code b.c}.
 */
public record TableName(String schema, String name) implements Comparable<TableName> {

    private static final Pattern PLAIN = Pattern.compile("[a-z_][a-z0-9_$]*");
    private static final Comparator<TableName> ORDER =
            Comparator.comparing(TableName::schema).thenComparing(TableName::name);

    /**
     * {@code schema.name}, each part double-quoted only when it needs it (like quote_ident, minus the
     * keyword check): unambiguous and pasteable into psql, yet plain names read as usual.
     */
    public String display() {
        return quoteIfNeeded(schema) + "." + quoteIfNeeded(name);
    }

    private static String quoteIfNeeded(String identifier) {
        return PLAIN.matcher(identifier).matches() ? identifier : "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    @Override
    public int compareTo(TableName other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return display();
    }
}
