package dbtool.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** What dbtool needs to know about the terminal it runs on, if any. */
final class Terminal {

    private static final int DEFAULT_WIDTH = 80;

    private Terminal() {}

    /**
     * Whether a progress bar may be drawn: stdin and stdout are a terminal ({@link System#console}) and so is stderr,
     * where the bar goes ({@code dbtool export 2>log} must not fill the log with redraws). Linux tells through /proc;
     * elsewhere the console alone decides.
     */
    static boolean interactive() {
        if (System.console() == null) {
            return false;
        }
        Path stderr = Path.of("/proc/self/fd/2");
        if (!Files.exists(Path.of("/proc/self/fd"))) {
            return true;
        }
        try {
            String target = Files.readSymbolicLink(stderr).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** Columns of the terminal: $COLUMNS when exported, else what stty says, else 80. */
    static int width() {
        String columns = System.getenv("COLUMNS");
        if (columns != null && columns.matches("\\d{2,4}")) {
            return Integer.parseInt(columns);
        }
        try {
            Process stty = new ProcessBuilder("stty", "size").redirectInput(new java.io.File("/dev/tty"))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            if (!stty.waitFor(2, TimeUnit.SECONDS)) {
                stty.destroyForcibly();
                return DEFAULT_WIDTH;
            }
            String[] size = new String(stty.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim().split(" ");
            return size.length == 2 && size[1].matches("\\d{2,4}") ? Integer.parseInt(size[1]) : DEFAULT_WIDTH;
        } catch (IOException e) {
            return DEFAULT_WIDTH;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return DEFAULT_WIDTH;
        }
    }
}
