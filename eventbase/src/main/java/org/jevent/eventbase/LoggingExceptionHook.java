package org.jevent.eventbase;

import java.io.PrintStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.NOPLoggerFactory;

/**
 * {@link ExceptionHook#logging()}: one ERROR line per failed callback, naming what ran and on
 * which base, with the stack trace; to SLF4J when a binding is present, else to stderr.
 *
 * <p>"No binding" is SLF4J 2's fallback: with no provider on the class path, it installs a
 * {@link NOPLoggerFactory} and drops every message. A deliberate {@code slf4j-nop} binding also
 * answers with that factory, but it is a choice to be silent and is respected. Invariant: the
 * decision is taken once, at the first report, after SLF4J has settled its provider.
 */
final class LoggingExceptionHook implements ExceptionHook {
    static final LoggingExceptionHook DEFAULT = new LoggingExceptionHook(LoggerFactory.getLogger(EventBase.class), null);

    private final Logger log;
    /** Null: decide from the installed SLF4J provider at the first report. */
    private volatile Boolean toStderr;
    /** Null: System.err at the time of the report. */
    private final PrintStream err;

    /** For tests: a given logger, and a given stream when {@code err} is not null (then always stderr). */
    LoggingExceptionHook(Logger log, PrintStream err) {
        this.log = log;
        this.err = err;
        this.toStderr = err != null ? Boolean.TRUE : null;
    }

    @Override
    public void onException(EventBase base, Object running, Throwable error) {
        String message = describe(running) + " on " + base + " threw; the loop goes on";
        if (printsToStderr()) {
            PrintStream out = err != null ? err : System.err;
            synchronized (out) {
                out.println("[" + Thread.currentThread().getName() + "] ERROR " + EventBase.class.getName() + " - "
                        + message + " (no SLF4J binding on the class path: printed to stderr)");
                error.printStackTrace(out);
            }
        } else {
            log.error(message, error);
        }
    }

    private boolean printsToStderr() {
        Boolean b = toStderr;
        if (b == null) {
            b = NoBinding.VALUE;
            toStderr = b;
        }
        return b;
    }

    /** Computed once, on first use, after SLF4J settled its provider. */
    private static final class NoBinding {
        static final boolean VALUE = slf4jDropsEverything();
    }

    /** True when SLF4J has no binding: the stall watchdog prints its warnings to stderr then, too. */
    static boolean noSlf4jBinding() {
        return NoBinding.VALUE;
    }

    /** True when SLF4J fell back to its no-operation provider because it found no binding. */
    static boolean slf4jDropsEverything() {
        if (!(LoggerFactory.getILoggerFactory() instanceof NOPLoggerFactory)) {
            return false;
        }
        try {
            Class.forName("org.slf4j.nop.NOPServiceProvider", false, LoggingExceptionHook.class.getClassLoader());
            return false;
        } catch (ClassNotFoundException e) {
            return true;
        }
    }

    /** "callback of Event[...]", "deferred callback ...", "task ...". */
    static String describe(Object running) {
        if (running instanceof Event) {
            return "callback of " + running;
        }
        if (running instanceof DeferredCallback) {
            return "deferred callback " + running;
        }
        if (running instanceof ExceptionHook) {
            return "exception hook " + running;
        }
        if (running instanceof Thread) {
            return "loop thread \"" + ((Thread) running).getName() + "\"";
        }
        return "task " + running;
    }
}
