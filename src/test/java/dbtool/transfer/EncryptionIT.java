package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.pg.PgToolLocator;
import dbtool.pg.PgVersion;
import dbtool.testing.CliRun;
import dbtool.testing.PgServers;
import dbtool.testing.TestDatabase;
import dbtool.testing.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Encrypted archives end to end against a real server and the real age CLI: a host that holds only the
 * public key exports and backs up; the private key restores, with dbtool and by hand.
 */
class EncryptionIT {

    private static final TestServer SERVER = PgServers.defaultServer();
    /** What -v says when an import streams each table into COPY instead of unpacking the archive first. */
    private static final String STREAMING = "each table's data into COPY";
    private static TestDatabase shop;

    @TempDir
    Path tmp;

    private Path key;
    private String publicKey;
    private final List<TestDatabase> targets = new ArrayList<>();

    @BeforeAll
    static void createSource() {
        shop = SERVER.createDatabase("age_shop");
        shop.execute("create table customer_cards (id int primary key, holder text not null, number text not null)",
                "insert into customer_cards select g, 'holder ' || g, lpad(g::text, 16, '4') from generate_series(1, 20000) g",
                "create table orders (id bigint primary key, card int references customer_cards, total numeric)",
                "insert into orders select g, 1 + g % 20000, g * 0.5 from generate_series(1, 30000) g");
    }

    @AfterAll
    static void dropSource() {
        shop.drop();
    }

    @BeforeEach
    void keyPair() {
        key = tmp.resolve("key.txt");
        CliRun keygen = CliRun.of("keygen", key.toString());
        assertThat(keygen.exitCode()).as(keygen.toString()).isZero();
        publicKey = keygen.lastOutLine();
    }

    @org.junit.jupiter.api.AfterEach
    void dropTargets() {
        targets.forEach(TestDatabase::drop);
    }

    /** A target database name that does not exist yet (import creates it); dropped after the test. */
    private TestDatabase newTarget(String prefix) {
        TestDatabase target = SERVER.createDatabase(prefix);
        target.drop();
        targets.add(target);
        return target;
    }

    /** The database host's config: only the public key. */
    private Path publicKeyOnlyConfig(String extra) throws IOException {
        return Files.writeString(tmp.resolve("dbtool.yaml"), "defaults:\n"
                + "  encryption:\n"
                + "    recipients:\n"
                + "      - " + publicKey + "\n"
                + extra
                + "projects:\n"
                + "  shop:\n"
                + "    url: " + shop.url() + "\n"
                + "    output: " + tmp.resolve("dumps") + "\n");
    }

    @Test
    void anEncryptedExportRestoresByHandWithTheAgeCliAndWithDbtool() throws Exception {
        Path config = publicKeyOnlyConfig("");
        CliRun export = CliRun.of("export", "--project", "shop", "--config", config.toString());
        assertThat(export.exitCode()).as(export.toString()).isZero();
        Path archive = Path.of(export.lastLine());
        assertThat(archive.getFileName().toString()).matches("shop-\\d{8}T\\d{6}Z\\.tar\\.gz\\.age");
        assertThat(export.err()).contains("encrypted to 1 age recipient(s)");
        // Nothing in plaintext is left beside it: the archive and its sidecar only.
        try (Stream<Path> files = Files.list(archive.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly(archive.getFileName().toString(), archive.getFileName() + ".sha256");
        }
        assertThat(new String(Files.readAllBytes(archive), StandardCharsets.ISO_8859_1)).doesNotContain("customer_cards");
        assertThat(sh("cd '" + archive.getParent() + "' && sha256sum -c '" + archive.getFileName() + ".sha256'", Map.of()))
                .contains(": OK");

        // By hand, as the README says: age -d | tar xzf -, sha256sum -c, pg_restore.
        Path restore = Files.createDirectories(tmp.resolve("restore"));
        sh("age -d -i '" + key + "' '" + archive + "' | tar xzf - -C '" + restore + "'", Map.of());
        assertThat(sh("cd '" + restore + "' && sha256sum -c SHA256SUMS", Map.of())).contains("dump/toc.dat: OK");
        assertThat(restore.resolve("manifest.json")).content().contains("customer_cards");
        TestDatabase byHand = newTarget("age_byhand");
        try (var admin = SERVER.connectAdmin(); var st = admin.createStatement()) {
            st.execute("create database " + byHand.name());
        }
        String pgRestore = PgToolLocator.fromSystemEnvironment()
                .forServer("pg_restore", new PgVersion(SERVER.majorVersion(), 0)).executable().toString();
        sh("'" + pgRestore + "' --no-owner --no-privileges -h " + SERVER.host() + " -p " + SERVER.port() + " -U "
                + SERVER.superuser() + " -d " + byHand.name() + " '" + restore.resolve("dump") + "'",
                SERVER.superuserPassword() == null ? Map.of() : Map.of("PGPASSWORD", SERVER.superuserPassword()));
        assertThat(byHand.queryLong("select count(*) from customer_cards")).isEqualTo(20000);

        // With dbtool and the private key.
        TestDatabase target = newTarget("age_import");
        CliRun imported = CliRun.of("import", archive.toString(), "--url", target.url(), "--identity", key.toString(),
                "--config", config.toString());
        assertThat(imported.exitCode()).as(imported.toString()).isZero();
        assertThat(imported.out()).contains("2 tables, 50000 rows, all row counts match");
        assertThat(target.queryString("select md5(string_agg(number, ',' order by id)) from customer_cards"))
                .isEqualTo(shop.queryString("select md5(string_agg(number, ',' order by id)) from customer_cards"));

        CliRun compare = CliRun.of("compare", "--archive", archive.toString(), "--project", "shop",
                "--identity", key.toString(), "--config", config.toString());
        assertThat(compare.exitCode()).as(compare.toString()).isZero();
    }

    @Test
    void noEncryptWritesPlaintextAndSaysSo_andTheAgeCliCanEncryptItForDbtool() throws Exception {
        Path config = publicKeyOnlyConfig("");
        CliRun export = CliRun.of("export", "--project", "shop", "--no-encrypt", "--config", config.toString());
        assertThat(export.exitCode()).as(export.toString()).isZero();
        Path plain = Path.of(export.lastLine());
        assertThat(plain.getFileName().toString()).endsWith(".tar.gz");
        assertThat(export.err()).contains("warning", "--no-encrypt: writing a plaintext archive");

        Path other = tmp.resolve("age-keygen.txt");
        sh("age-keygen -o '" + other + "'", Map.of());
        String recipient = sh("age-keygen -y '" + other + "'", Map.of()).strip();
        Path encrypted = tmp.resolve("reencrypted.tar.gz.age");
        sh("age -r " + recipient + " -o '" + encrypted + "' '" + plain + "'", Map.of());

        TestDatabase target = newTarget("age_reenc");
        if (System.getenv("DBTOOL_AGE_IDENTITY_FILE") == null) {
            CliRun noKey = CliRun.of("import", encrypted.toString(), "--url", target.url(), "--config", config.toString());
            assertThat(noKey.exitCode()).as(noKey.toString()).isEqualTo(2);
            assertThat(noKey.errLines()).last().asString().contains("is encrypted", "--identity FILE");
        }
        CliRun wrongKey = CliRun.of("import", encrypted.toString(), "--url", target.url(), "--identity", key.toString(),
                "--config", config.toString());
        assertThat(wrongKey.exitCode()).as(wrongKey.toString()).isEqualTo(2);
        assertThat(wrongKey.errLines()).last().asString().contains("identity file " + key, "not encrypted to");
        assertThat(databaseExists(target)).as("nothing was created").isFalse();

        CliRun imported = CliRun.of("import", encrypted.toString(), "--url", target.url(), "--identity", other.toString(),
                "--config", config.toString());
        assertThat(imported.exitCode()).as(imported.toString()).isZero();
        assertThat(target.queryLong("select count(*) from orders")).isEqualTo(30000);
    }

    /**
     * The encrypted archive streams as a plain one does: its last member (toc.dat, manifest, SHA256SUMS) is decrypted
     * at random access, then each table goes from the decrypting stream into COPY; nothing is unpacked.
     */
    @Test
    void anEncryptedArchiveStreamsIntoANewDatabaseAndAWrongKeyCreatesNothing() throws Exception {
        Path config = publicKeyOnlyConfig("");
        Path archive = exportEncrypted(config);
        Path other = tmp.resolve("other-key.txt");
        assertThat(CliRun.of("keygen", other.toString()).exitCode()).isZero();

        TestDatabase target = newTarget("age_streamed");
        CliRun wrongKey = CliRun.of("-v", "import", archive.toString(), "--url", target.url(), "--identity",
                other.toString(), "--config", config.toString());
        assertThat(wrongKey.exitCode()).as(wrongKey.toString()).isEqualTo(2);
        assertThat(wrongKey.errLines()).as(wrongKey.toString()).anyMatch(l -> l.startsWith("dbtool: error:")
                && l.contains("identity file " + other) && l.contains("not encrypted to"));
        assertThat(databaseExists(target)).as("nothing was created").isFalse();

        CliRun imported = CliRun.of("-v", "import", archive.toString(), "--url", target.url(), "--identity",
                key.toString(), "--jobs", "2", "--config", config.toString());
        assertThat(imported.exitCode()).as(imported.toString()).isZero();
        assertThat(imported.err()).as("the streamed path was taken").contains(STREAMING)
                .contains("checksums verified, sidecar verified").doesNotContain("checking and unpacking");
        assertThat(imported.out()).contains("2 tables, 50000 rows, all row counts match");
        assertThat(target.queryLong("select count(*) from customer_cards")).isEqualTo(20000);
        assertThat(target.queryLong("select count(*) from orders")).isEqualTo(30000);
        assertThat(target.queryString("select md5(string_agg(number, ',' order by id)) from customer_cards"))
                .isEqualTo(shop.queryString("select md5(string_agg(number, ',' order by id)) from customer_cards"));
    }

    @Test
    void cleanReplacesAnExistingDatabaseFromAnEncryptedArchiveStreamed() throws Exception {
        Path config = publicKeyOnlyConfig("");
        Path archive = exportEncrypted(config);
        TestDatabase target = SERVER.createDatabase("age_clean");
        targets.add(target);
        target.execute("create table leftover(id int)", "insert into leftover values (1)");

        CliRun imported = CliRun.of("-v", "import", archive.toString(), "--url", target.url(), "--identity",
                key.toString(), "--clean", "--yes", "--config", config.toString());
        assertThat(imported.exitCode()).as(imported.toString()).isZero();
        assertThat(imported.err()).contains(STREAMING);
        assertThat(target.queryLong("select count(*) from orders")).isEqualTo(30000);
        assertThat(target.queryLong("select count(*) from pg_tables where tablename = 'leftover'")).isZero();
    }

    /**
     * A byte flipped mid-archive, before the last member that is read first, is found by age while the tables stream:
     * the database made for them is dropped. A source of random text makes an archive well beyond that tail's window.
     */
    @Test
    void aTamperedArchiveWithAMatchingSidecarIsExit4AndLeavesNoDatabase() throws Exception {
        TestDatabase big = SERVER.createDatabase("age_big");
        targets.add(big);
        big.execute("create table notes (id int primary key, body text)",
                "insert into notes select g, md5(random()::text) || md5(random()::text) from generate_series(1, 60000) g");
        Path config = Files.writeString(tmp.resolve("big.yaml"), "defaults:\n  encryption:\n    recipients:\n      - "
                + publicKey + "\nprojects:\n  big:\n    url: " + big.url() + "\n    output: " + tmp.resolve("dumps") + "\n");
        CliRun export = CliRun.of("export", "--project", "big", "--config", config.toString(), "-q");
        assertThat(export.exitCode()).as(export.toString()).isZero();
        Path archive = Path.of(export.lastLine());
        byte[] original = Files.readAllBytes(archive);
        assertThat(original.length / 3).as("before the last MiB, read first").isLessThan(original.length - (1 << 20));
        tamper(archive, original, original.length / 3);

        TestDatabase target = newTarget("age_tampered");
        CliRun imported = CliRun.of("-v", "import", archive.toString(), "--url", target.url(), "--identity",
                key.toString(), "--config", config.toString());
        assertThat(imported.exitCode()).as(imported.toString()).isEqualTo(4);
        assertThat(imported.err()).contains(STREAMING);
        assertThat(imported.errLines()).as(imported.toString()).anyMatch(l -> l.startsWith("dbtool: error:")
                && l.contains("age authentication failed") && l.endsWith("the database it had created was dropped again"));
        assertThat(databaseExists(target)).isFalse();

        // In the last chunk (the tail, read first): refused before any database is created.
        tamper(archive, original, original.length - 20);
        CliRun tail = CliRun.of("-v", "import", archive.toString(), "--url", target.url(), "--identity",
                key.toString(), "--config", config.toString());
        assertThat(tail.exitCode()).as(tail.toString()).isEqualTo(4);
        assertThat(tail.errLines()).as(tail.toString())
                .anyMatch(l -> l.startsWith("dbtool: error:") && l.contains("age authentication failed"));
        assertThat(tail.err()).doesNotContain(STREAMING);
        assertThat(databaseExists(target)).isFalse();
    }

    private static Path exportEncrypted(Path config) {
        CliRun export = CliRun.of("export", "--project", "shop", "--config", config.toString(), "-q");
        assertThat(export.exitCode()).as(export.toString()).isZero();
        return Path.of(export.lastLine());
    }

    /** {@code original} with one byte flipped, written over {@code archive} with a sidecar that matches it. */
    private static void tamper(Path archive, byte[] original, int at) throws Exception {
        byte[] bytes = original.clone();
        bytes[at] ^= 0x20;
        Files.write(archive, bytes);
        Files.writeString(archive.resolveSibling(archive.getFileName() + ".sha256"),
                sh("sha256sum '" + archive + "'", Map.of()).split(" ")[0] + "  " + archive.getFileName() + "\n");
    }

    @Test
    void encryptedNightlyBackupsVerifyWithTheKeyAndRetentionKnowsTheirNames() throws Exception {
        Path backups = tmp.resolve("backups");
        Path config = publicKeyOnlyConfig("  backup:\n    dir: " + backups + "/{project}\n    keep_last: 1\n");

        if (System.getenv("DBTOOL_AGE_IDENTITY_FILE") == null) {
            CliRun noKey = CliRun.of("backup", "--project", "shop", "--verify", "--config", config.toString());
            assertThat(noKey.exitCode()).as(noKey.toString()).isEqualTo(2);
            assertThat(noKey.errLines()).last().asString().contains("needs the private key", "--identity FILE");
            assertThat(archives(backups.resolve("shop"))).as("refused before exporting").isEmpty();
        }

        List<String> written = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            CliRun backup = CliRun.of("backup", "--project", "shop", "--verify", "--identity", key.toString(),
                    "--config", config.toString());
            assertThat(backup.exitCode()).as(backup.toString()).isZero();
            assertThat(backup.out()).contains(".tar.gz.age", "verified");
            written.add(backup.out().split("\\s+")[2]);
        }
        // keep_last: 1 left only the newest, which is verified; the older .age archives went with their sidecars.
        Path newest = Path.of(written.get(2));
        assertThat(archives(backups.resolve("shop"))).containsExactly(newest.getFileName().toString(),
                newest.getFileName() + ".sha256", newest.getFileName() + ".verified");
        CliRun list = CliRun.of("backups", "list", "--project", "shop", "--config", config.toString());
        assertThat(list.out()).contains(newest.getFileName().toString(), "verified");

        // The restore machine: dbtool import with the key, found through $DBTOOL_AGE_IDENTITY_FILE-style config.
        Path restoreConfig = Files.writeString(tmp.resolve("restore.yaml"),
                "defaults:\n  encryption:\n    identity_file: " + key + "\nprojects: {}\n");
        CliRun verify = CliRun.of("verify", newest.toString(), "--config", restoreConfig.toString());
        assertThat(verify.exitCode()).as(verify.toString()).isZero();
    }

    private static List<String> archives(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("shop-")).sorted().toList();
        }
    }

    private static boolean databaseExists(TestDatabase db) throws Exception {
        try (var c = SERVER.connectAdmin(); var st = c.prepareStatement("select 1 from pg_database where datname = ?")) {
            st.setString(1, db.name());
            try (var rs = st.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Runs a shell command; fails the test on a non-zero exit; returns its stdout and stderr. */
    private static String sh(String command, Map<String, String> environment) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Process process = builder.start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(command + ":\n" + out).isZero();
        return out;
    }
}
