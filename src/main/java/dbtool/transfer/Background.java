package dbtool.transfer;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Starts work that blocks (a pg_restore run, JDBC, reading the archive) on a named daemon thread of its own, which
 * ends with the task: nothing to shut down, nothing left behind. Not CompletableFuture's default executor: on two
 * cores that starts an unnamed non-daemon thread per task, and with more cores it is the common ForkJoin pool, where
 * blocking tasks queue behind each other (and behind anything else using the pool) on a few threads.
 */
final class Background {

    private Background() {
    }

    static <T> CompletableFuture<T> supply(String name, Supplier<T> task) {
        return CompletableFuture.supplyAsync(task, runnable -> start(name, runnable));
    }

    static CompletableFuture<Void> run(String name, Runnable task) {
        return CompletableFuture.runAsync(task, runnable -> start(name, runnable));
    }

    private static void start(String name, Runnable runnable) {
        Thread thread = new Thread(runnable, "dbtool-" + name);
        thread.setDaemon(true); // the CLI's System.exit ends it; every caller waits for what it needs first
        thread.start();
    }
}
