package dbtool.cli;

import dbtool.archive.ArchiveReader;
import dbtool.archive.Manifest;
import dbtool.storage.ArchiveStore;
import dbtool.storage.StoredArchive;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "inspect", usageHelpAutoWidth = false,
        description = "Show what an archive holds (reads only its manifest; needs no database).")
final class InspectCommand implements Callable<Integer> {

    @ParentCommand
    DbTool root;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ARCHIVE", description = "A path or s3://bucket/key.")
    String archive;

    @Mixin
    IdentityOption identity;

    @Override
    public Integer call() {
        Manifest m;
        StoredArchive input = root.stores(root.config()).archive(archive);
        try (ArchiveStore store = input.store()) {
            m = ArchiveReader.readManifest(input,
                    identity.decryptor(() -> root.config().defaultEncryption(), root.reporter(spec)));
        }
        root.print(spec, m, text(m));
        return 0;
    }

    private static String text(Manifest m) {
        StringBuilder out = new StringBuilder();
        out.append("project:        ").append(m.project() == null ? "(none: exported by --url)" : m.project()).append('\n');
        out.append("source:         ").append(m.source().user()).append('@').append(m.source().host()).append(':')
                .append(m.source().port()).append('/').append(m.source().database()).append('\n');
        out.append("created:        ").append(m.createdAt()).append('\n');
        out.append("server:         PostgreSQL ").append(m.serverVersion()).append(", pg_dump ").append(m.pgDumpVersion()).append('\n');
        out.append("format:         ").append(m.dumpFormat()).append(" dump, ").append(m.compression())
                .append(" archive, dump files ").append(m.dumpCompression()).append('\n');
        out.append("extensions:     ").append(m.extensions().isEmpty() ? "none"
                : String.join(", ", m.extensions().stream().map(e -> e.name() + " " + e.version()).toList())).append('\n');
        if (m.partial() != null) {
            out.append("partial:        ").append(m.partial().describe()).append(" (the rest of the database is not in it)\n");
        }
        if (m.globals() != null) {
            out.append("globals:        ").append(m.globals().file()).append(": roles and tablespaces, ")
                    .append(m.globals().rolePasswords() ? "with password hashes" : "without passwords").append('\n');
        }
        Manifest.Database db = m.database();
        if (db != null) {
            if (db.comment() != null) {
                out.append("comment:        ").append(db.comment()).append('\n');
            }
            for (String setting : db.settings()) {
                out.append("setting:        ").append(setting).append('\n');
            }
            for (Manifest.RoleSettings role : db.roleSettings()) {
                out.append("role setting:   ").append(role.role()).append(": ").append(String.join(", ", role.settings())).append('\n');
            }
            if (db.grants() != null) {
                out.append("privileges:     ").append(db.grants().isEmpty() ? "none (not even PUBLIC may connect)"
                        : String.join(", ", db.grants().stream().map(g -> g.privilege() + " to " + g.grantee()
                                + (g.grantable() ? " with grant option" : "")).toList())).append('\n');
            }
        }
        out.append("tables:         ").append(TableCounts.describe(m)).append(", ").append(m.totalRows()).append(" rows\n");
        int width = m.tables().stream().mapToInt(t -> t.qualifiedName().length()).max().orElse(10);
        for (Manifest.Table t : m.tables()) {
            String rows = t.rows() == null ? "-" : String.valueOf(t.rows());
            String note = switch (t.kind()) {
                case Manifest.Table.PARTITIONED -> "  (partitioned: rows are in its partitions)";
                case Manifest.Table.MATERIALIZED_VIEW -> Boolean.TRUE.equals(t.populated())
                        ? "  (materialized view)" : "  (materialized view, not populated)";
                default -> "";
            };
            out.append(String.format("  %-" + width + "s %12s rows %10s%s%n", t.qualifiedName(), rows,
                    Sizes.human(t.sizeBytes()), note));
        }
        return out.toString().stripTrailing();
    }
}
