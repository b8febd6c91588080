package dbtool.cli;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicBoolean;
import sun.misc.Signal;

/**
 * Ctrl-C and SIGTERM (systemd stop, kill) end dbtool with the shell's usual 130 / 143 after one clear
 * line; the shutdown hooks then remove temporary files, kill pg_dump / pg_restore and drop a database
 * an import had created. Signals are process-wide, hence the one static flag: once set, the command's
 * own failure (pg_dump "terminated by user") is not reported as if it were the cause.
 */
final class Interrupts {

    private static final AtomicBoolean INTERRUPTED = new AtomicBoolean();
    /** Held while the error line or a progress redraw is written: no redraw can land after the error line. */
    private static final Object SCREEN = new Object();

    private Interrupts() {}

    static void install(PrintStream err) {
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                Signal.handle(new Signal(name), signal -> {
                    synchronized (SCREEN) {
                        if (!INTERRUPTED.compareAndSet(false, true)) {
                            return;
                        }
                        // On a terminal the cursor sits after "^C" or a progress bar: the error line gets its own.
                        err.println((System.console() != null ? System.lineSeparator() : "")
                                + "dbtool: error: interrupted by SIG" + signal.getName()
                                + "; cleaning up: temporary files are removed and nothing half-written is left");
                        err.flush();
                    }
                    System.exit(128 + signal.getNumber());
                });
            } catch (IllegalArgumentException unsupported) {
                // a JVM started with -Xrs or a platform without this signal: the default handling stays
            }
        }
    }

    /** Runs a screen update (a progress redraw) unless dbtool was interrupted: then the error line stays last. */
    static void draw(Runnable update) {
        synchronized (SCREEN) {
            if (!INTERRUPTED.get()) {
                update.run();
            }
        }
    }

    static boolean happened() {
        return INTERRUPTED.get();
    }
}
