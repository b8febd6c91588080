package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dbtool.testing.CliRun;
import dbtool.testing.CliUrls;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * dbtool copy: database to database without an archive, on one server and across two, with the row
 * counts (and checksums) of the source snapshot proven in the target.
 */
class CopyIT {

    private static final TestServer SERVER = PgServers.defaultServer();
    private static final String ITEMS = "\"Sales Dept\".\"Order \"\"Items\"\" Ünïcode\"";
    private static TestDatabase source;

    @BeforeAll
    static void createSource() {
        source = SERVER.createDatabase("copy_src");
        String db = "\"" + source.name() + "\"";
        source.execute(
                "create extension citext",
                "create schema \"Sales Dept\"",
                "create type mood as enum ('happy', 'sad')",
                "create table " + ITEMS + " (id bigserial primary key, at timestamptz, doc jsonb, tags text[],"
                        + " blob bytea, m mood, email citext)",
                "insert into " + ITEMS + " (at, doc, tags, blob, m, email) select timestamptz '2024-01-01 00:00+00'"
                        + " + g * interval '37 minutes', jsonb_build_object('n', g), array['x' || g, null],"
                        + " decode(md5(g::text), 'hex'), (array['happy','sad'])[1 + g % 2]::mood, 'U' || g || '@Example.org'"
                        + " from generate_series(1, 3000) g",
                "create table events (id bigint, created date not null, payload text) partition by range (created)",
                "create table events_2024 partition of events for values from ('2024-01-01') to ('2025-01-01')",
                "create table events_2025 partition of events for values from ('2025-01-01') to ('2026-01-01')",
                "insert into events select g, date '2024-01-01' + (g % 700), 'p' || g from generate_series(1, 4000) g",
                "create materialized view by_day as select created, count(*) as n from events group by created",
                "create table empty_table (id int primary key)",
                "select lo_from_bytea(0, convert_to('a large object', 'UTF8'))",
                "alter database " + db + " set timezone = 'Asia/Tokyo'",
                "alter database " + db + " set search_path = \"$user\", public, \"Sales Dept\"",
                "comment on database " + db + " is 'copied along'");
    }

    @AfterAll
    static void dropSource() {
        source.drop();
    }

    @Test
    void copiesBetweenTwoDatabasesOfOneServerWithEveryRowSettingAndChecksum() throws Exception {
        TestDatabase target = SERVER.createDatabase("copy_dst");
        target.drop(); // copy creates it
        Set<Path> before = workDirs();
        try {
            CliRun copy = CliRun.of("copy", "--from-url", CliUrls.superuser(source), "--to-url", CliUrls.superuser(target),
                    "--checksum", "--jobs", "2");
            assertThat(copy.exitCode()).as(copy.toString()).isZero();
            assertThat(copy.out()).contains("all row counts and checksums match the source snapshot");
            assertThat(copy.err()).contains("created database " + target.name());
            assertThat(workDirs()).as("temporary dump removed").isSubsetOf(before);

            CliRun compare = CliRun.of("compare", "--url", CliUrls.superuser(source), "--url", CliUrls.superuser(target),
                    "--checksum");
            assertThat(compare.exitCode()).as(compare.toString()).isZero();
            for (String query : List.of(
                    "select count(*) from by_day",
                    "select convert_from(lo_get(oid), 'UTF8') from pg_largeobject_metadata",
                    "select last_value from \"Sales Dept\".\"Order \"\"Items\"\" Ünïcode_id_seq\"",
                    "select shobj_description(oid, 'pg_database') from pg_database where datname = current_database()",
                    "select array_to_string(setconfig, ' / ') from pg_db_role_setting s join pg_database d"
                            + " on d.oid = s.setdatabase where d.datname = current_database() and s.setrole = 0")) {
                assertThat(target.queryString(query)).as(query).isEqualTo(source.queryString(query));
            }
            assertThat(target.queryString("show search_path")).isEqualTo("\"$user\", public, \"Sales Dept\"");
        } finally {
            target.drop();
        }
    }

    @Test
    void copiesBetweenTwoServers() throws Exception {
        TestServer other = PgServers.embedded(17);
        TestDatabase target = other.createDatabase("copy_far");
        try {
            CliRun copy = CliRun.of("--json", "copy", "--from-url", CliUrls.superuser(source), "--to-url",
                    CliUrls.superuser(target), "--checksum");
            assertThat(copy.exitCode()).as(copy.toString()).isZero();
            JsonNode json = new ObjectMapper().readTree(copy.out());
            assertThat(json.path("ok").asBoolean()).isTrue();
            assertThat(json.path("created_database").asBoolean()).isFalse(); // it existed, empty
            assertThat(json.path("rows_checked").asLong()).isEqualTo(3000 + 4000);
            assertThat(target.queryLong("select count(*) from events")).isEqualTo(4000);
            assertThat(target.queryString("select string_agg(extname, ',' order by extname) from pg_extension"))
                    .isEqualTo("citext,plpgsql");
        } finally {
            target.drop();
        }
    }

    /** However the same database is spelled (localhost or 127.0.0.1, user in the URL or not), it is refused. */
    @Test
    void refusesToCopyADatabaseOntoItself() throws Exception {
        String viaName = "postgresql://" + SERVER.superuser() + "@localhost:" + SERVER.port() + "/" + source.name();
        String viaAddress = CliUrls.superuser(source);
        CliRun copy = CliRun.of("copy", "--from-url", viaAddress, "--to-url", viaName);
        assertThat(copy.exitCode()).as(copy.toString()).isEqualTo(2);
        assertThat(copy.errLines().get(copy.errLines().size() - 1))
                .contains("is the source database", "copy into another database");
        assertThat(source.queryLong("select count(*) from events")).isEqualTo(4000);
    }

    @Test
    void refusesANonEmptyTargetAndLeavesItAsItWas() {
        TestDatabase target = SERVER.createDatabase("copy_full");
        try {
            target.execute("create table keep_me (id int)", "insert into keep_me values (1)");
            CliRun copy = CliRun.of("copy", "--from-url", CliUrls.superuser(source), "--to-url", CliUrls.superuser(target));
            assertThat(copy.exitCode()).as(copy.toString()).isEqualTo(2);
            assertThat(copy.errLines().get(copy.errLines().size() - 1)).contains("is not empty");
            assertThat(target.queryLong("select count(*) from keep_me")).isEqualTo(1);
        } finally {
            target.drop();
        }
    }

    /** --clean --yes replaces a non-empty target all or nothing, the old one kept aside; without --yes it is refused. */
    @Test
    void cleanYesReplacesANonEmptyTargetAndKeepsTheOldOne() {
        TestDatabase target = SERVER.createDatabase("copy_clean");
        try {
            target.execute("create table keep_me (id int)", "insert into keep_me values (1)");
            CliRun refused = CliRun.of("copy", "--from-url", CliUrls.superuser(source), "--to-url", CliUrls.superuser(target),
                    "--clean");
            assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(2);
            assertThat(refused.err()).contains("add --yes");

            CliRun copy = CliRun.of("copy", "--from-url", CliUrls.superuser(source), "--to-url", CliUrls.superuser(target),
                    "--clean", "--yes", "--jobs", "2");
            assertThat(copy.exitCode()).as(copy.toString()).isZero();
            assertThat(target.queryLong("select count(*) from " + ITEMS)).isEqualTo(3000);
            assertThat(target.queryString("select to_regclass('keep_me')::text")).isNull();
            String kept = target.queryString("select datname from pg_database where datname like '"
                    + target.name() + "\\_before\\_%'");
            assertThat(kept).as(copy.toString()).isNotNull();
            assertThat(copy.out()).contains("kept as " + kept);
            TestDatabase previous = new TestDatabase(SERVER, kept);
            assertThat(previous.queryLong("select count(*) from keep_me")).isEqualTo(1);
            previous.drop();
        } finally {
            target.drop();
        }
    }

    /**
     * A target that loses rows on the way in (here an event trigger of the target's own, which gives
     * every new "lossy" table a trigger that drops half its rows) fails the copy with exit 3.
     */
    @Test
    void rowsLostInTheTargetFailTheCopyWithExit3() throws Exception {
        TestDatabase small = SERVER.createDatabase("copy_lossy_src");
        TestDatabase target = SERVER.createDatabase("copy_lossy_dst");
        Set<Path> before = workDirs();
        try {
            small.execute("create table lossy (id int)", "insert into lossy select generate_series(1, 100)");
            dropEvenRowsOfLossy(target);
            CliRun copy = CliRun.of("copy", "--from-url", CliUrls.superuser(small), "--to-url", CliUrls.superuser(target),
                    "--jobs", "1");
            assertThat(copy.exitCode()).as(copy.toString()).isEqualTo(3);
            assertThat(copy.err()).contains("public.lossy: expected 100 rows, found 50");
            assertThat(copy.errLines().get(copy.errLines().size() - 1)).contains("differ from the source snapshot");
            assertThat(workDirs()).as("temporary dump removed").isSubsetOf(before);
        } finally {
            small.drop();
            target.drop();
        }
    }

    /**
     * Without --checksum the source's rows are counted from pg_dump's own COPY lines, not by a second scan: values with
     * newlines and a "\\." of their own still count once, and partitions, materialized views (refreshed in the target),
     * sequences and large objects arrive as before.
     */
    @Test
    void countsTheSourceFromTheDumpAndStillCopiesEverything() throws Exception {
        TestDatabase tricky = SERVER.createDatabase("copy_lines_src");
        TestDatabase target = SERVER.createDatabase("copy_lines_dst");
        target.drop(); // copy creates it
        try {
            tricky.execute(
                    "create table notes (id serial primary key, body text)",
                    "insert into notes (body) select case g % 4 when 0 then e'two\\nlines' when 1 then e'\\\\.'"
                            + " when 2 then e'tab\\there\\r' else null end from generate_series(1, 1001) g",
                    "create table parts (id int, k int not null) partition by list (k)",
                    "create table parts_a partition of parts for values in (1)",
                    "create table parts_b partition of parts for values in (2)",
                    "insert into parts select g, 1 + g % 2 from generate_series(1, 500) g",
                    "create materialized view notes_by_kind as select body, count(*) as n from notes group by body",
                    "create materialized view unpopulated as select 1 as one with no data",
                    "select lo_from_bytea(0, convert_to('still here', 'UTF8'))");
            for (String jobs : List.of("1", "2")) {
                CliRun copy = CliRun.of("--json", "copy", "--from-url", CliUrls.superuser(tricky), "--to-url",
                        CliUrls.superuser(target), "--jobs", jobs);
                assertThat(copy.exitCode()).as(copy.toString()).isZero();
                JsonNode json = new ObjectMapper().readTree(copy.out());
                assertThat(json.path("tables_checked").asLong()).as(copy.toString()).isEqualTo(3);
                assertThat(json.path("rows_checked").asLong()).isEqualTo(1001 + 250 + 250);
                assertThat(json.path("mismatches").size()).isZero();
                for (String query : List.of(
                        "select count(*) from notes where body = e'two\\nlines'",
                        "select count(*) from notes where body = e'\\\\.'",
                        "select count(*) from parts_b",
                        "select count(*) from notes_by_kind",
                        "select relispopulated::text from pg_class where relname = 'unpopulated'",
                        "select convert_from(lo_get(oid), 'UTF8') from pg_largeobject_metadata",
                        "select last_value from notes_id_seq")) {
                    assertThat(target.queryString(query)).as(query).isEqualTo(tricky.queryString(query));
                }
                target.drop();
            }
        } finally {
            tricky.drop();
            target.drop();
        }
    }

    /** The row proof still catches a lossy target when the source is counted from the dump of a parallel pg_dump. */
    @Test
    void rowsLostInTheTargetFailAParallelCopyWithExit3() throws Exception {
        TestDatabase small = SERVER.createDatabase("copy_lossy2_src");
        TestDatabase target = SERVER.createDatabase("copy_lossy2_dst");
        try {
            small.execute("create table lossy (id int)", "insert into lossy select generate_series(1, 100)",
                    "create table fine (id int)", "insert into fine select generate_series(1, 10)");
            dropEvenRowsOfLossy(target);
            CliRun copy = CliRun.of("copy", "--from-url", CliUrls.superuser(small), "--to-url", CliUrls.superuser(target),
                    "--jobs", "2");
            assertThat(copy.exitCode()).as(copy.toString()).isEqualTo(3);
            assertThat(copy.err()).contains("public.lossy: expected 100 rows, found 50").doesNotContain("public.fine");
        } finally {
            small.drop();
            target.drop();
        }
    }

    /** A restore that fails (an owner the target server lacks, with --keep-owners) leaves no target database behind. */
    @Test
    void aFailedRestoreDropsTheDatabaseItCreated() throws Exception {
        TestServer other = PgServers.embedded(17);
        TestDatabase owned = SERVER.createDatabase("copy_owned_src");
        TestDatabase target = other.createDatabase("copy_owned_dst");
        target.drop(); // copy creates it
        String role = "dbtool_copy_it_owner";
        try {
            owned.execute("drop role if exists " + role, "create role " + role,
                    "create table t (id int)", "insert into t values (1)", "alter table t owner to " + role);
            CliRun copy = CliRun.of("copy", "--from-url", CliUrls.superuser(owned), "--to-url", CliUrls.superuser(target),
                    "--keep-owners", "--jobs", "2");
            assertThat(copy.exitCode()).as(copy.toString()).isNotZero().isNotEqualTo(3);
            assertThat(copy.err()).contains("was dropped again");
            assertThat(new TestDatabase(other, "postgres").queryLong(
                    "select count(*) from pg_database where datname = '" + target.name() + "'")).isZero();
        } finally {
            owned.drop();
            new TestDatabase(SERVER, "postgres").execute("drop role if exists " + role);
            target.drop();
        }
    }

    /** The temporary dump directories of copies in the temp dir (copy's work dir without DBTOOL_WORK_DIR). */
    private static Set<Path> workDirs() throws IOException {
        Path tmp = Path.of(System.getenv().getOrDefault("DBTOOL_WORK_DIR", System.getProperty("java.io.tmpdir")));
        try (Stream<Path> entries = Files.list(tmp)) {
            return entries.filter(p -> p.getFileName().toString().startsWith(".dbtool-copy-")).collect(Collectors.toSet());
        }
    }

    /** A target that silently drops every even id inserted into a table named lossy, once the restore creates it. */
    private static void dropEvenRowsOfLossy(TestDatabase target) {
        // In pg_catalog, so that the target still counts as empty.
        target.execute(
                "create function pg_catalog.dbtool_test_drop_even() returns trigger language plpgsql as"
                        + " $$ begin if new.id % 2 = 0 then return null; end if; return new; end $$",
                "create function pg_catalog.dbtool_test_on_create() returns event_trigger language plpgsql as $$"
                        + " begin if exists (select 1 from pg_class where relname = 'lossy' and relkind = 'r') then"
                        + " execute 'create trigger drop_even before insert on public.lossy for each row"
                        + " execute function pg_catalog.dbtool_test_drop_even()'; end if; end $$",
                "create event trigger dbtool_test_lossy on ddl_command_end when tag in ('CREATE TABLE')"
                        + " execute function pg_catalog.dbtool_test_on_create()");
    }
}
