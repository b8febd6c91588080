package dbtool.migrate.lint;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a Flyway file name says: {@code V<version>__<description>.sql}. The version parts are numbers, so V10 comes
 * after V9 and V1.10 after V1.9. Files that are not versioned (R__ repeatables, anything else) sort after all
 * versioned ones, by name, as Flyway applies repeatables last.
 */
record MigrationName(String fileName, List<BigInteger> version, String description) {
    private static final Pattern VERSIONED = Pattern.compile("V(\\d+(?:[._]\\d+)*)__(.*?)(?:\\.sql)?",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern OTHER = Pattern.compile("[A-Z]__(.*?)(?:\\.sql)?", Pattern.CASE_INSENSITIVE);

    static final Comparator<MigrationName> FLYWAY_ORDER = Comparator
            .comparing((MigrationName m) -> m.version().isEmpty())
            .thenComparing(MigrationName::version, MigrationName::compareVersions)
            .thenComparing(MigrationName::fileName);

    static MigrationName of(String fileName) {
        Matcher versioned = VERSIONED.matcher(fileName);
        if (versioned.matches()) {
            List<BigInteger> version = new ArrayList<>();
            for (String part : versioned.group(1).split("[._]")) {
                version.add(new BigInteger(part));
            }
            return new MigrationName(fileName, List.copyOf(version), versioned.group(2));
        }
        Matcher other = OTHER.matcher(fileName);
        return new MigrationName(fileName, List.of(), other.matches() ? other.group(1) : fileName);
    }

    /**
     * A contract step of expand/contract: it removes what the application stopped using, so dropping and
     * renaming are its purpose rather than a hazard.
     */
    boolean isContractStep() {
        return description.startsWith("contract_");
    }

    private static int compareVersions(List<BigInteger> a, List<BigInteger> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = a.get(i).compareTo(b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    }
}
