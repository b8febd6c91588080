package dbtool.cli;

import dbtool.Reporter;
import java.io.PrintWriter;
import java.util.function.LongSupplier;

/**
 * A progress line on a terminal, redrawn in place by a thread of its own. {@link #close} stops and joins that thread
 * before it draws the final state once and ends the line: whatever is printed after close (the command's summary)
 * can never be overdrawn or followed by a late redraw. Every draw goes through {@link Interrupts#draw}, so after
 * Ctrl-C the error line is the last thing on the screen.
 */
final class TerminalProgress implements AutoCloseable {

    static final long REDRAW_MILLIS = 250;

    private final PrintWriter err;
    private final String task;
    private final String unit;
    private final Reporter.Progress progress;
    private final LongSupplier millis;
    private final int width;
    private final long started;
    private final Thread thread;
    private final Object wake = new Object();
    private boolean stopped; // guarded by wake
    private int drawnLength; // only the drawing thread (then, after join, close) touches it

    TerminalProgress(PrintWriter err, String task, String unit, Reporter.Progress progress, LongSupplier millis, int width) {
        this.err = err;
        this.task = task;
        this.unit = unit;
        this.progress = progress;
        this.millis = millis;
        this.width = width;
        this.started = millis.getAsLong();
        this.thread = new Thread(this::redrawUntilStopped, "dbtool-progress");
        thread.setDaemon(true);
        thread.start();
    }

    private void redrawUntilStopped() {
        synchronized (wake) {
            while (!stopped) {
                draw();
                try {
                    wake.wait(REDRAW_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** Whether the redrawing thread still runs: never after {@link #close} returned. */
    boolean redrawing() {
        return thread.isAlive();
    }

    /** The line as it is now. */
    String line() {
        return new ProgressLine(task, unit, progress.done(), progress.total(), millis.getAsLong() - started,
                progress.detail(), progress.steady()).render(width);
    }

    private void draw() {
        String line;
        try {
            line = line();
        } catch (RuntimeException e) {
            return; // the display is a courtesy: what it reads failing must not fail or clutter the command
        }
        // "\r" and blanks over a longer previous line: no ANSI codes, so a terminal that lacks them shows no "[0m".
        String pad = " ".repeat(Math.max(0, drawnLength - line.length()));
        drawnLength = line.length();
        Interrupts.draw(() -> {
            err.print("\r" + line + pad);
            err.flush();
        });
    }

    /** Prints a message on a line of its own: the bar is wiped first and comes back with the next redraw. */
    void printAbove(Runnable print) {
        synchronized (wake) {
            Interrupts.draw(() -> err.print("\r" + " ".repeat(drawnLength) + "\r"));
            drawnLength = 0;
            print.run();
        }
    }

    /** Draws the final state and ends the line, after the redrawing thread has finished. */
    @Override
    public void close() {
        synchronized (wake) {
            stopped = true;
            wake.notifyAll();
        }
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        draw();
        Interrupts.draw(() -> {
            err.println();
            err.flush();
        });
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
