package dbtool.migrate;

import dbtool.Reporter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Keeps what the core reported, so tests can check that something was said (loudly). */
final class RecordingReporter implements Reporter {
    final List<String> infos = Collections.synchronizedList(new ArrayList<>());
    final List<String> warnings = Collections.synchronizedList(new ArrayList<>());
    /** Units (rows, tables, bytes) reported done through progressStep, over all progress tasks. */
    final AtomicLong progressSteps = new AtomicLong();

    @Override
    public void info(String message) {
        infos.add(message);
    }

    @Override
    public void warn(String message) {
        warnings.add(message);
    }

    @Override
    public void detail(String message) {}

    @Override
    public void progressStep(long delta) {
        progressSteps.addAndGet(delta);
    }
}
