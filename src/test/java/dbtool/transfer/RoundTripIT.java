package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dbtool.testing.CliRun;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A database with most of what real schemas hold goes out through export and comes back through
 * import with every row, sequence value, large object and odd identifier intact.
 */
class RoundTripIT {

    private static final TestServer SERVER = PgServers.defaultServer();
    private static TestDatabase source;
    /** Has settings of its own in the source database, and CONNECT on it. */
    private static dbtool.testing.TestRole app;

    /** Identifiers that need quoting: spaces, embedded quotes, mixed case, non-ASCII. */
    private static final String ITEMS = "\"Sales Dept\".\"Order \"\"Items\"\" Ünïcode\"";

    @BeforeAll
    static void createSource() {
        source = SERVER.createDatabase("roundtrip");
        source.execute(
                "create extension citext",
                "create extension hstore",
                "create schema \"Sales Dept\"",
                "create schema inventory",
                "create type mood as enum ('happy', 'sad', 'so-so')",
                "create domain positive_int as integer check (value > 0)",
                "create table " + ITEMS + " (id bigserial primary key, \"Qty\" positive_int, price numeric(12,4),"
                        + " at timestamptz, doc jsonb, js json, tags text[], blob bytea, uid uuid, m mood,"
                        + " email citext, attrs hstore, \"MixedCase\" text)",
                "insert into " + ITEMS + " (\"Qty\", price, at, doc, js, tags, blob, uid, m, email, attrs, \"MixedCase\")"
                        + " select 1 + g % 50, g * 1.2345, timestamptz '2024-01-01 00:00+00' + g * interval '37 minutes',"
                        + " jsonb_build_object('n', g, 'name', 'Zoë ''' || g), ('{\"a\": ' || g || '}')::json,"
                        + " array['x' || g, null, 'ü'], decode(md5(g::text), 'hex'), md5(g::text)::uuid,"
                        + " (array['happy','sad','so-so'])[1 + g % 3]::mood, 'User' || g || '@Example.org',"
                        + " hstore('k', g::text), case when g % 7 = 0 then null else E'tab\\there \"q\" ' || g end"
                        + " from generate_series(1, 2000) g",
                "create table inventory.events (id bigint, created date not null, payload text) partition by range (created)",
                "create table inventory.events_2024 partition of inventory.events for values from ('2024-01-01') to ('2025-01-01')",
                "create table inventory.events_2025 partition of inventory.events for values from ('2025-01-01') to ('2026-01-01')",
                "insert into inventory.events select g, date '2024-01-01' + (g % 700), 'p' || g from generate_series(1, 5000) g",
                "create sequence inventory.counter start 100",
                "select setval('inventory.counter', 4242)",
                "create view inventory.v_recent as select * from inventory.events where created > date '2025-06-01'",
                "create materialized view inventory.mv_by_day as select created, count(*) as n from inventory.events group by created",
                "create materialized view inventory.mv_unpopulated as select 1 as x with no data",
                "create function inventory.stamp() returns trigger language plpgsql as $$"
                        + " begin new.payload := coalesce(new.payload, '') || ' (stamped)'; return new; end $$",
                "create trigger stamp before insert on inventory.events_2025 for each row execute function inventory.stamp()",
                "select lo_from_bytea(0, convert_to('a large object, with ünïcode', 'UTF8'))",
                "create table public.empty_table (id int primary key, note text)",
                "create table public.big (id int primary key, v text, n numeric)",
                "insert into public.big select g, md5(g::text), g / 3.0 from generate_series(1, 1000000) g");
        // What belongs to the database itself, which pg_dump without --create leaves out.
        app = SERVER.createRole("roundtrip_app", "app-secret");
        String db = "\"" + source.name() + "\"";
        source.execute(
                "alter database " + db + " set search_path = \"$user\", public, \"Sales Dept\"",
                "alter database " + db + " set timezone = 'America/Sao_Paulo'",
                "alter database " + db + " set work_mem = '12MB'",
                "comment on database " + db + " is 'Roundtrip''s source: \\ and ünïcode'",
                "alter role " + app.name() + " in database " + db + " set statement_timeout = '42s'",
                "revoke all on database " + db + " from public",
                "grant connect, temporary on database " + db + " to " + app.name());
    }

    @AfterAll
    static void dropSource() throws Exception {
        source.drop();
        try (java.sql.Connection admin = SERVER.connectAdmin(); java.sql.Statement st = admin.createStatement()) {
            st.execute("drop role if exists " + app.name());
        }
    }

    /**
     * The "done when": after export --globals and import --globals --keep-owners the schema
     * (pg_dump -s --no-owner --no-privileges), the database's settings and role-in-database settings
     * (pg_db_role_setting), its comment and its privileges are the source's.
     */
    @Test
    void databaseSettingsCommentAndPrivilegesComeAlongAndTheSchemaMatches(@TempDir Path dir) throws Exception {
        CliRun export = CliRun.of("export", "--url", source.url(), "--output", dir.toString(), "--globals", "-q");
        assertThat(export.exitCode()).as(export.toString()).isZero();
        Path archive = Path.of(export.lastLine());
        CliRun inspect = CliRun.of("inspect", archive.toString());
        assertThat(inspect.out()).contains("comment:        Roundtrip's source: \\ and ünïcode",
                "setting:        TimeZone=America/Sao_Paulo", "role setting:   " + app.name() + ": statement_timeout=42s",
                "privileges:     CONNECT to " + app.name() + ", TEMPORARY to " + app.name(),
                "globals:        globals.sql: roles and tablespaces, without passwords");

        TestDatabase target = SERVER.createDatabase("roundtrip_props");
        target.drop();
        try {
            CliRun imported = CliRun.of("import", archive.toString(), "--url", target.url(), "--globals", "--keep-owners");
            assertThat(imported.exitCode()).as(imported.toString()).isZero();
            assertThat(imported.err()).contains("left ").contains(app.name()); // it exists: left alone
            assertThat(dbRoleSettings(target)).isEqualTo(dbRoleSettings(source));
            assertThat(String.join("\n", dbRoleSettings(target))).contains("statement_timeout=42s",
                    "TimeZone=America/Sao_Paulo", "search_path=\\\"$user\\\", public, \\\"Sales Dept\\\"");
            String properties = "select shobj_description(oid, 'pg_database') || ' | ' || datacl::text"
                    + " from pg_database where datname = current_database()";
            assertThat(target.queryString(properties)).isEqualTo(source.queryString(properties));
            assertThat(target.queryString("show search_path")).isEqualTo("\"$user\", public, \"Sales Dept\"");
            assertThat(schema(target)).isEqualTo(schema(source));
        } finally {
            target.drop();
        }
    }

    /** Settings of the database and of roles in it, by role name (none for the database's own), as text. */
    private static List<String> dbRoleSettings(TestDatabase db) {
        List<String> rows = new java.util.ArrayList<>();
        try (java.sql.Connection c = db.connect(); java.sql.Statement st = c.createStatement();
                java.sql.ResultSet rs = st.executeQuery("select coalesce(r.rolname, '-') || ' ' || s.setconfig::text"
                        + " from pg_db_role_setting s join pg_database d on d.oid = s.setdatabase"
                        + " left join pg_roles r on r.oid = s.setrole where d.datname = current_database() order by 1")) {
            while (rs.next()) {
                rows.add(rs.getString(1));
            }
        } catch (java.sql.SQLException e) {
            throw new RuntimeException(e);
        }
        return rows;
    }

    /** pg_dump -s --no-owner --no-privileges, without psql's per-run \\restrict keys. */
    private static String schema(TestDatabase db) throws Exception {
        Process p = new ProcessBuilder("pg_dump", "-s", "--no-owner", "--no-privileges", "-h", SERVER.host(), "-p",
                String.valueOf(SERVER.port()), "-U", SERVER.superuser(), db.name()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out.lines().filter(l -> !l.startsWith("\\restrict") && !l.startsWith("\\unrestrict"))
                .collect(java.util.stream.Collectors.joining("\n"));
    }

    @Test
    void everyRowSequenceAndObjectSurvivesExportAndImport(@TempDir Path dir) throws Exception {
        CliRun export = CliRun.of("export", "--url", source.url(), "--output", dir.toString(), "-q");
        assertThat(export.exitCode()).as(export.toString()).isZero();
        Path archive = Path.of(export.lastLine());
        assertThat(archive.getFileName().toString()).matches(source.name() + "-\\d{8}T\\d{6}Z\\.tar\\.gz");
        assertThat(Files.readString(archive.resolveSibling(archive.getFileName() + ".sha256")))
                .contains(archive.getFileName().toString());

        JsonNode manifest = new ObjectMapper().readTree(CliRun.of("--json", "inspect", archive.toString()).out());
        assertThat(table(manifest, "public", "big").path("rows").asLong()).isEqualTo(1_000_000);
        assertThat(table(manifest, "public", "empty_table").path("rows").asLong()).isZero();
        assertThat(table(manifest, "Sales Dept", "Order \"Items\" Ünïcode").path("rows").asLong()).isEqualTo(2000);
        assertThat(table(manifest, "inventory", "events").path("kind").asText()).isEqualTo("partitioned_table");
        assertThat(table(manifest, "inventory", "events_2024").path("rows").asLong()
                + table(manifest, "inventory", "events_2025").path("rows").asLong()).isEqualTo(5000);
        assertThat(table(manifest, "inventory", "mv_by_day").path("populated").asBoolean()).isTrue();
        assertThat(table(manifest, "inventory", "mv_unpopulated").path("populated").asBoolean()).isFalse();
        assertThat(manifest.path("extensions").toString()).contains("citext", "hstore");
        assertThat(manifest.toString()).doesNotContain("password");

        TestDatabase target = SERVER.createDatabase("roundtrip_target");
        target.drop(); // import must create it
        try {
            CliRun imported = CliRun.of("import", archive.toString(), "--url", target.url());
            assertThat(imported.exitCode()).as(imported.toString()).isZero();
            assertThat(imported.out()).contains("all row counts match");
            for (String query : List.of(
                    "select md5(string_agg(t::text, '|' order by id)) from " + ITEMS + " t",
                    "select md5(string_agg(t::text, '|' order by id)) from inventory.events t",
                    "select count(*) || ':' || sum(n) || ':' || md5(string_agg(v, '' order by id)) from public.big",
                    "select last_value || ':' || is_called from inventory.counter",
                    "select last_value from \"Sales Dept\".\"Order \"\"Items\"\" Ünïcode_id_seq\"",
                    "select convert_from(lo_get(oid), 'UTF8') from pg_largeobject_metadata",
                    "select count(*) from inventory.mv_by_day",
                    "select count(*) from inventory.v_recent",
                    "select count(*) from " + ITEMS + " where email = 'user7@example.ORG'",
                    "select string_agg(extname, ',' order by extname) from pg_extension")) {
                assertThat(target.queryString(query)).as(query).isEqualTo(source.queryString(query));
            }
            assertThat(target.queryString("select last_value from inventory.counter")).isEqualTo("4242");
            // The trigger came back and works: it was not fired by the restore itself.
            target.execute("insert into inventory.events values (99999, '2025-03-01', 'new')");
            assertThat(target.queryString("select payload from inventory.events where id = 99999")).isEqualTo("new (stamped)");
            assertThat(target.queryString("select payload from inventory.events where id = 400")).isEqualTo("p400");
        } finally {
            target.drop();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"zstd", "none"})
    void otherCodecsRoundTripAndUnpackWithPlainTar(String codec, @TempDir Path dir) throws Exception {
        TestDatabase small = SERVER.createDatabase("codec");
        TestDatabase target = SERVER.createDatabase("codec_target");
        try {
            small.execute("create table cats (id int primary key, name text)",
                    "insert into cats select g, 'cat ' || g from generate_series(1, 5000) g");
            CliRun export = CliRun.of("export", "--url", small.url(), "--output", dir.toString(), "--compress", codec, "-q");
            assertThat(export.exitCode()).as(export.toString()).isZero();
            Path archive = Path.of(export.lastLine());
            assertThat(archive.toString()).endsWith(codec.equals("zstd") ? ".tar.zst" : ".tar");
            assertThat(CliRun.of("verify", archive.toString()).exitCode()).isZero();

            CliRun imported = CliRun.of("import", archive.toString(), "--url", target.url());
            assertThat(imported.exitCode()).as(imported.toString()).isZero();
            assertThat(target.queryLong("select count(*) from cats")).isEqualTo(5000);

            // A person without dbtool can still list it with tar and check it with sha256sum.
            Process tar = new ProcessBuilder("tar", codec.equals("zstd") ? "--zstd" : "-v", "-tf", archive.toString())
                    .redirectErrorStream(true).start();
            String listing = new String(tar.getInputStream().readAllBytes());
            if (tar.waitFor() == 0) {
                assertThat(listing).contains("manifest.json", "dump/toc.dat", "SHA256SUMS");
            }
        } finally {
            small.drop();
            target.drop();
        }
    }

    /**
     * Packed while pg_dump ran (--jobs 2): the archive is several gzip members / zstd frames, and plain
     * tar still lists manifest.json first and SHA256SUMS last, unpacks it, and pg_restore restores it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gzip", "zstd"})
    void archiveRestoresByHandWithTarAndPgRestoreAlone(String codec, @TempDir Path dir) throws Exception {
        TestDatabase target = SERVER.createDatabase("byhand");
        CliRun export = CliRun.of("export", "--url", source.url(), "--output", dir.resolve("out").toString(),
                "--exclude-table", "big", "--compress", codec, "--jobs", "2", "-q");
        assertThat(export.exitCode()).as(export.toString()).isZero();
        Path archive = Path.of(export.lastLine());
        Path unpacked = Files.createDirectory(dir.resolve("unpacked"));
        String zflag = codec.equals("zstd") ? "--zstd" : "-z";
        assertThat(run(dir, "sha256sum", "-c", archive.getFileName() + ".sha256", archive.getParent())).isZero();
        assertThat(run(dir, "tar", zflag, "-tf", archive.toString())).isZero();
        List<String> listing = Files.readAllLines(dir.resolve("command.log"));
        assertThat(listing.get(0)).startsWith("dump/");
        assertThat(listing.subList(listing.size() - 2, listing.size())).containsExactly("manifest.json", "SHA256SUMS");
        assertThat(listing).contains("dump/toc.dat").hasSizeGreaterThan(4);
        assertThat(run(dir, "tar", zflag, "-xf", archive.toString(), "-C", unpacked.toString())).isZero();
        assertThat(run(dir, "sha256sum", "-c", "SHA256SUMS", unpacked)).isZero();
        try {
            assertThat(run(dir, "pg_restore", "--no-owner", "--no-privileges", "-h", SERVER.host(), "-p",
                    String.valueOf(SERVER.port()), "-U", SERVER.superuser(), "-d", target.name(),
                    unpacked.resolve("dump").toString())).isZero();
            assertThat(target.queryLong("select count(*) from " + ITEMS)).isEqualTo(2000);
            assertThat(target.queryLong("select count(*) from pg_tables where tablename = 'big'")).isZero();
        } finally {
            target.drop();
        }
    }

    private static int run(Path log, String... command) throws Exception {
        return run(log, command[0], List.of(command).subList(1, command.length).toArray(String[]::new), null);
    }

    private static int run(Path log, String program, String arg1, String arg2, Path workDir) throws Exception {
        return run(log, program, new String[] {arg1, arg2}, workDir);
    }

    private static int run(Path log, String program, String[] args, Path workDir) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(program));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.resolve("command.log").toFile());
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        return pb.start().waitFor();
    }

    private static JsonNode table(JsonNode manifest, String schema, String name) {
        for (JsonNode t : manifest.path("tables")) {
            if (t.path("schema").asText().equals(schema) && t.path("name").asText().equals(name)) {
                return t;
            }
        }
        throw new AssertionError("no table " + schema + "." + name + " in manifest " + manifest);
    }
}
