package org.jevent.eventbase;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/** An SLF4J logger that keeps what it is given, for tests that check what was logged. */
final class RecordingLogger extends LegacyAbstractLogger {
    /** One logging call: level, formatted message, throwable (or null). */
    record Entry(Level level, String message, Throwable error) {
    }

    final List<Entry> entries = new CopyOnWriteArrayList<>();
    /** Counted down by the first entry. */
    final CountDownLatch first = new CountDownLatch(1);

    RecordingLogger() {
        this.name = "recording";
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String msg, Object[] args, Throwable t) {
        entries.add(new Entry(level, MessageFormatter.basicArrayFormat(msg, args), t));
        first.countDown();
    }

    @Override
    public boolean isTraceEnabled() {
        return true;
    }

    @Override
    public boolean isDebugEnabled() {
        return true;
    }

    @Override
    public boolean isInfoEnabled() {
        return true;
    }

    @Override
    public boolean isWarnEnabled() {
        return true;
    }

    @Override
    public boolean isErrorEnabled() {
        return true;
    }
}
