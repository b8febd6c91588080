package dbtool.backup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackupDirectoryTest {
    @TempDir
    Path dir;

    private Path file(String name) throws IOException {
        return Files.writeString(dir.resolve(name), name);
    }

    /** An archive as a finished run leaves it: archive, then sidecar. */
    private Path complete(String name) throws IOException {
        Path archive = file(name);
        file(name + ".sha256");
        return archive;
    }

    private static List<String> names(List<BackupDirectory.Leftover> leftovers) {
        return leftovers.stream().map(BackupDirectory.Leftover::name).toList();
    }

    @Test
    void namesAndStampsRoundTripInUtc() {
        BackupDirectory shop = new BackupDirectory(dir, "shop");
        Instant t = Instant.parse("2025-04-21T19:00:00.789Z");

        assertThat(shop.archiveName(t, "tar.gz")).isEqualTo("shop-20250421T190000Z.tar.gz");
        assertThat(shop.archiveName(t, "tar.zst")).isEqualTo("shop-20250421T190000Z.tar.zst");
        assertThat(BackupDirectory.parseStamp("20250421T190000Z")).isEqualTo(Instant.parse("2025-04-21T19:00:00Z"));
        assertThat(BackupDirectory.temporaryName("shop-20250421T190000Z.tar")).isEqualTo(".shop-20250421T190000Z.tar.partial");
        assertThatThrownBy(() -> BackupDirectory.parseStamp("20250230T000000Z")).isInstanceOf(RuntimeException.class);
    }

    @Test
    void archivesAreCompleteOnesOfThisProjectNewestFirst() throws IOException {
        complete("shop-20250101T000000Z.tar.gz");
        complete("shop-20250301T000000Z.tar.zst");
        complete("shop-20250201T000000Z.tar");
        file("shop-20250201T000000Z.tar.verified");
        file("shop-20250401T000000Z.tar.gz");                 // no sidecar: interrupted
        complete("shop-eu-20250501T000000Z.tar.gz");          // another project sharing the dir and the prefix
        complete("shops-20250501T000000Z.tar.gz");
        complete("shop-20250501T000000Z.tar.bz2");            // not an extension we write
        complete("shop-20251301T000000Z.tar.gz");             // month 13: not a stamp we wrote
        file("notes.txt");

        List<BackupFile> archives = new BackupDirectory(dir, "shop").archives();

        assertThat(archives).extracting(BackupFile::fileName).containsExactly(
                "shop-20250301T000000Z.tar.zst", "shop-20250201T000000Z.tar", "shop-20250101T000000Z.tar.gz");
        assertThat(archives).extracting(BackupFile::verified).containsExactly(false, true, false);
        assertThat(archives.get(0).createdAt()).isEqualTo(Instant.parse("2025-03-01T00:00:00Z"));
        assertThat(archives.get(0).sizeBytes()).isEqualTo("shop-20250301T000000Z.tar.zst".length());
        assertThat(archives).allSatisfy(a -> assertThat(a.project()).isEqualTo("shop"));
    }

    @Test
    void archiveWithoutSidecarIsALeftoverNotABackup() throws IOException {
        complete("shop-20250101T000000Z.tar.gz");
        file("shop-20250102T000000Z.tar.gz");
        BackupDirectory shop = new BackupDirectory(dir, "shop");

        assertThat(shop.archives()).extracting(BackupFile::fileName).containsExactly("shop-20250101T000000Z.tar.gz");
        assertThat(names(shop.leftovers())).containsExactly("shop-20250102T000000Z.tar.gz");
    }

    @Test
    void leftoversAreOnlyThisProjectsInterruptedFiles() throws IOException {
        complete("shop-20250101T000000Z.tar.gz");
        file("shop-20250101T000000Z.tar.gz.verified");
        file(".shop-20250102T000000Z.tar.gz.partial");        // temporary archive
        file(".shop-20250102T000000Z.tar.gz.body");           // the exporter's body, packed while pg_dump ran
        file(".other-20250102T000000Z.tar.gz.body");          // another project's
        file("shop-20250103T000000Z.tar.zst.tmp");
        file(".shop-20250104T000000Z.tar.gz");
        file(".shop-20250101T000000Z.tar.gz.sha256.tmp");     // temporary sidecar next to a complete archive
        file("shop-20250105T000000Z.tar.gz.sha256");          // orphaned sidecar
        file("shop-20250106T000000Z.tar.verified");           // marker of an archive that never counted
        file(".other-20250102T000000Z.tar.gz.partial");       // another project's
        file("shop-eu-20250102T000000Z.tar.gz");
        file(".shop.tmp");
        file("shop.lock");
        file("random.partial");

        BackupDirectory shop = new BackupDirectory(dir, "shop");

        assertThat(names(shop.leftovers())).containsExactlyInAnyOrder(
                ".shop-20250102T000000Z.tar.gz.partial", "shop-20250103T000000Z.tar.zst.tmp",
                ".shop-20250104T000000Z.tar.gz", ".shop-20250101T000000Z.tar.gz.sha256.tmp",
                "shop-20250105T000000Z.tar.gz.sha256", "shop-20250106T000000Z.tar.verified",
                ".shop-20250102T000000Z.tar.gz.body");

        assertThat(names(shop.cleanLeftovers())).hasSize(7);
        assertThat(shop.leftovers()).isEmpty();
        try (var left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
                    "shop-20250101T000000Z.tar.gz", "shop-20250101T000000Z.tar.gz.sha256",
                    "shop-20250101T000000Z.tar.gz.verified", ".other-20250102T000000Z.tar.gz.partial",
                    ".other-20250102T000000Z.tar.gz.body", "shop-eu-20250102T000000Z.tar.gz", ".shop.tmp", "shop.lock", "random.partial");
        }
    }

    @Test
    void workDirectoriesOfKilledExportsAreLeftoversAndDeletedWithTheirContent() throws IOException {
        complete("shop-20250101T000000Z.tar.gz");
        Path work = Files.createDirectories(dir.resolve(".shop-20250102T000000Z.tar.gz.work/dump"));
        Files.writeString(work.resolve("toc.dat"), "x");
        Path outside = Files.createDirectories(dir.resolve("keep-me"));
        Files.writeString(outside.resolve("precious"), "y");
        Files.createSymbolicLink(work.resolve("link"), outside);                  // must not be followed
        Files.createDirectories(dir.resolve(".other-20250102T000000Z.tar.gz.work"));
        Files.createDirectories(dir.resolve(".shop-notes.work"));
        Files.createSymbolicLink(dir.resolve(".shop-20250103T000000Z.tar.gz.work"), outside);
        BackupDirectory shop = new BackupDirectory(dir, "shop");

        assertThat(names(shop.leftovers())).containsExactly(".shop-20250102T000000Z.tar.gz.work");
        assertThat(shop.archives()).extracting(BackupFile::fileName).containsExactly("shop-20250101T000000Z.tar.gz");

        assertThat(names(shop.cleanLeftovers())).containsExactly(".shop-20250102T000000Z.tar.gz.work");
        assertThat(dir.resolve(".shop-20250102T000000Z.tar.gz.work")).doesNotExist();
        assertThat(outside.resolve("precious")).hasContent("y");
        assertThat(dir.resolve(".other-20250102T000000Z.tar.gz.work")).isDirectory();
        assertThat(dir.resolve(".shop-notes.work")).isDirectory();
        assertThat(shop.leftovers()).isEmpty();
    }

    @Test
    void pruningNeverSeesForeignFilesOrOtherProjects() throws IOException {
        for (String stamp : List.of("20250101T000000Z", "20250102T000000Z", "20250103T000000Z")) {
            complete("shop-" + stamp + ".tar.gz");
            complete("shop-eu-" + stamp + ".tar.gz");
            complete("other-" + stamp + ".tar.gz");
        }
        file("shop-20250104T000000Z.tar.gz");                 // leftover, not a backup
        file("shop-backup-notes.txt");
        BackupDirectory shop = new BackupDirectory(dir, "shop");

        RetentionDecision d = new RetentionPolicy(1, 0, 0, 0).apply(shop.archives());

        assertThat(d.keep()).extracting(BackupFile::fileName).containsExactly("shop-20250103T000000Z.tar.gz");
        assertThat(d.remove()).extracting(BackupFile::fileName)
                .containsExactly("shop-20250102T000000Z.tar.gz", "shop-20250101T000000Z.tar.gz");
        d.remove().forEach(shop::delete);

        assertThat(shop.archives()).extracting(BackupFile::fileName).containsExactly("shop-20250103T000000Z.tar.gz");
        assertThat(new BackupDirectory(dir, "shop-eu").archives()).hasSize(3);
        assertThat(new BackupDirectory(dir, "other").archives()).hasSize(3);
        assertThat(dir.resolve("shop-20250104T000000Z.tar.gz")).exists();
        assertThat(dir.resolve("shop-backup-notes.txt")).exists();
    }

    @Test
    void aSafetySnapshotIsAnArchiveMarkedAsSnapshot() throws IOException {
        complete("shop-20250101T000000Z.tar.gz");
        complete("shop-20250102T000000Z.snapshot.tar.gz");
        file(".shop-20250103T000000Z.snapshot.tar.gz.partial");

        BackupDirectory shop = new BackupDirectory(dir, "shop");
        assertThat(shop.archives()).extracting(BackupFile::fileName, BackupFile::snapshot).containsExactly(
                org.assertj.core.groups.Tuple.tuple("shop-20250102T000000Z.snapshot.tar.gz", true),
                org.assertj.core.groups.Tuple.tuple("shop-20250101T000000Z.tar.gz", false));
        assertThat(shop.leftovers()).extracting(BackupDirectory.Leftover::name)
                .containsExactly(".shop-20250103T000000Z.snapshot.tar.gz.partial");
        assertThat(new BackupDirectory(dir, "shop-20250102T000000Z.snapshot").archives()).isEmpty();
    }

    @Test
    void deleteRemovesSidecarAndMarkerToo() throws IOException {
        complete("shop-20250101T000000Z.tar.gz");
        file("shop-20250101T000000Z.tar.gz.verified");
        BackupDirectory shop = new BackupDirectory(dir, "shop");

        shop.delete(shop.archives().get(0));

        try (var left = Files.list(dir)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void deleteRefusesAnotherProjectsArchive() throws IOException {
        complete("other-20250101T000000Z.tar.gz");
        BackupFile foreign = new BackupDirectory(dir, "other").archives().get(0);

        assertThatThrownBy(() -> new BackupDirectory(dir, "shop").delete(foreign))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Path.of(foreign.path())).exists();
    }

    @Test
    void missingDirectoryHasNothing() {
        BackupDirectory shop = new BackupDirectory(dir.resolve("absent"), "shop");
        assertThat(shop.archives()).isEmpty();
        assertThat(shop.leftovers()).isEmpty();
    }

    @Test
    void projectNamesThatCouldEscapeTheDirectoryAreRejected() {
        assertThatThrownBy(() -> new BackupDirectory(dir, "../x")).hasMessageContaining("project name");
        assertThatThrownBy(() -> new BackupDirectory(dir, ".hidden")).hasMessageContaining("project name");
    }

    @Test
    void encryptedArchivesCountLikeOthers() throws IOException {
        complete("shop-20250101T000000Z.tar.gz.age");
        complete("shop-20250201T000000Z.tar.zst.age");
        file("shop-20250201T000000Z.tar.zst.age.verified");
        complete("shop-20250301T000000Z.tar.age");
        file("shop-20250401T000000Z.tar.gz.age");                  // no sidecar: interrupted
        file(".shop-20250501T000000Z.tar.gz.age.partial");
        complete("shop-20250601T000000Z.tar.gz.gpg");              // not an extension we write
        BackupDirectory shop = new BackupDirectory(dir, "shop");

        assertThat(shop.archives()).extracting(BackupFile::fileName).containsExactly(
                "shop-20250301T000000Z.tar.age", "shop-20250201T000000Z.tar.zst.age", "shop-20250101T000000Z.tar.gz.age");
        assertThat(shop.archives()).extracting(BackupFile::verified).containsExactly(false, true, false);
        assertThat(names(shop.leftovers())).containsExactly(".shop-20250501T000000Z.tar.gz.age.partial",
                "shop-20250401T000000Z.tar.gz.age");
        assertThat(shop.archiveName(Instant.parse("2025-04-21T19:00:00Z"), "tar.gz.age"))
                .isEqualTo("shop-20250421T190000Z.tar.gz.age");
    }
}
