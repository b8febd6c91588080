package dbtool.backup;

import dbtool.DbToolException;
import dbtool.ExitCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProjectLockTest {
    @TempDir
    Path dir;

    private final List<Process> children = new ArrayList<>();

    @AfterEach
    void killChildren() {
        children.forEach(Process::destroyForcibly);
    }

    @Test
    void secondAcquireInTheSameJvmFailsNamingThePidAndTheFile() {
        try (ProjectLock first = ProjectLock.acquire(dir, "shop")) {
            long pid = ProcessHandle.current().pid();
            assertThat(first.file()).hasFileName("shop.lock");

            assertThatThrownBy(() -> ProjectLock.acquire(dir, "shop"))
                    .isInstanceOfSatisfying(DbToolException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.LOCKED))
                    .hasMessageContaining("pid " + pid)
                    .hasMessageContaining(first.file().toString());
        }
    }

    @Test
    void failedSecondAcquireInTheSameJvmDoesNotReleaseTheFirst() throws Exception {
        // POSIX locks vanish when the process closes any descriptor of the file; the failed attempt must not open it.
        try (ProjectLock first = ProjectLock.acquire(dir, "shop")) {
            assertThatThrownBy(() -> ProjectLock.acquire(dir, "shop")).isInstanceOf(DbToolException.class);

            Process child = start("try", "shop");
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).isEqualTo(ExitCode.LOCKED.code());
            assertThat(output(child)).contains("pid " + ProcessHandle.current().pid());
        }
    }

    @Test
    void releasedLockCanBeTakenAgainAndIsNotReportedAsStale() {
        ProjectLock.acquire(dir, "shop").close();
        try (ProjectLock again = ProjectLock.acquire(dir, "shop")) {
            assertThat(again.takenOverFrom()).isEmpty();
        }
        assertThat(dir.resolve("shop.lock")).exists(); // never deleted, see ProjectLock
    }

    @Test
    void otherProjectsAreIndependent() {
        try (ProjectLock shop = ProjectLock.acquire(dir, "shop");
             ProjectLock other = ProjectLock.acquire(dir, "other")) {
            assertThat(other.file()).isNotEqualTo(shop.file());
        }
    }

    @Test
    void lockHeldByALiveChildProcessFails() throws Exception {
        Process child = start("hold", "shop");
        long childPid = awaitLocked(child);

        assertThatThrownBy(() -> ProjectLock.acquire(dir, "shop"))
                .isInstanceOfSatisfying(DbToolException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.LOCKED))
                .hasMessageContaining("pid " + childPid)
                .hasMessageContaining(dir.toRealPath().resolve("shop.lock").toString());
    }

    @Test
    void lockOfAKilledChildProcessIsTakenOver() throws Exception {
        Process child = start("hold", "shop");
        long childPid = awaitLocked(child);

        child.destroyForcibly(); // SIGKILL: no shutdown hooks, no close()
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();

        try (ProjectLock lock = ProjectLock.acquire(dir, "shop")) {
            assertThat(lock.takenOverFrom()).hasValueSatisfying(stale -> assertThat(stale.pid()).isEqualTo(childPid));
            assertThat(lock.holder().pid()).isEqualTo(ProcessHandle.current().pid());
        }
    }

    @Test
    void lockOfAChildStoppedBySigtermIsNotReportedAsTakenOver() throws Exception {
        Process child = start("hold", "shop");
        awaitLocked(child);

        child.destroy(); // SIGTERM, like Ctrl-C or systemd stop: shutdown hooks run
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();

        try (ProjectLock lock = ProjectLock.acquire(dir, "shop")) {
            assertThat(lock.takenOverFrom()).isEmpty();
        }
    }

    private Process start(String mode, String project) throws IOException, URISyntaxException {
        String java = ProcessHandle.current().info().command().orElse("java");
        String classpath = codeSource(LockHolderMain.class) + File.pathSeparator + codeSource(ProjectLock.class);
        Process p = new ProcessBuilder(java, "-cp", classpath, LockHolderMain.class.getName(), mode, dir.toString(), project)
                .redirectErrorStream(true)
                .start();
        children.add(p);
        return p;
    }

    private static String codeSource(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    /** Waits for the child's LOCKED line and returns its pid, failing fast if it died instead. */
    private static long awaitLocked(Process child) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        String line = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                return "read failed: " + e;
            }
        }).get(60, TimeUnit.SECONDS);
        assertThat(line).startsWith("LOCKED ");
        long pid = Long.parseLong(line.substring("LOCKED ".length()).trim());
        assertThat(pid).isEqualTo(child.pid());
        return pid;
    }

    private static String output(Process p) throws IOException {
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}
