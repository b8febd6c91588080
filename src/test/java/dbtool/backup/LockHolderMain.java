package dbtool.backup;

import dbtool.DbToolException;

import java.nio.file.Path;

/**
 * Child process for {@link ProjectLockTest}. {@code hold <dir> <project>}: takes the lock, prints LOCKED, sleeps until
 * killed. {@code try <dir> <project>}: exits 0 if it got the lock, else the exception's exit code.
 */
public final class LockHolderMain {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        try (ProjectLock lock = ProjectLock.acquire(dir, args[2])) {
            if (args[0].equals("hold")) {
                System.out.println("LOCKED " + lock.holder().pid());
                System.out.flush();
                Thread.sleep(120_000);
            }
        } catch (DbToolException e) {
            System.out.println(e.getMessage());
            System.exit(e.exitCode().code());
        }
    }
}
