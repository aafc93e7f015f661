package org.jevent.examples;

import java.io.PrintStream;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;

/**
 * Port of libevent's {@code sample/signal-test.c}
 * (https://github.com/libevent/libevent/blob/master/sample/signal-test.c): a persistent SIGINT
 * event; the callback deletes it once it has been called twice before ({@code called >= 2},
 * with {@code called} counting from 0), so the third SIGINT leaves nothing pending, the loop ends
 * and the program exits 0, exactly as the C program does.
 *
 * <p>The functions keep the C names and order: {@code signal_cb}, {@code main}. The C
 * {@code event_self_cbarg()} is the event the callback receives. The program prints
 * {@code waiting for SIGINT} once the handler is installed (an addition, so that a test knows
 * when to signal).
 */
final class SignalTest {
    static final String SUMMARY = "port of sample/signal-test.c: SIGINT handler, exits on the third SIGINT";
    private static final String USAGE = String.join("\n",
            "usage: signal-test",
            "  no options; press Ctrl-C (SIGINT): each one is reported, and after the first two",
            "  the handler is deleted (C's called >= 2), so the third ends the program");

    private final PrintStream out;
    /** C {@code int called}. */
    private int called;

    private SignalTest(PrintStream out) {
        this.out = out;
    }

    static int run(String[] args, PrintStream out) {
        return Opts.runExample("signal-test", USAGE, args, out, o -> o, o -> { }, o -> new SignalTest(out).main());
    }

    /** C {@code signal_cb}. */
    private void signalCb(Event signal, int event) {
        out.println("signal_cb: got signal " + signal.getSignal());
        out.flush();

        if (called >= 2) {
            signal.del();
        }

        called++;
    }

    /** C {@code main}. */
    private int main() {
        Event signalInt = null;
        EventBase base = null;
        int ret = 0;

        try {
            // Initialize the event library
            base = new EventBase();

            // Initialize one event
            signalInt = Event.signal(base, "INT", this::signalCb);

            signalInt.add();
            out.println("waiting for SIGINT");
            out.flush();

            base.dispatch();
        } catch (RuntimeException e) {
            out.println("signal-test: " + e);
            ret = signalInt == null ? 2 : 1;
        } finally {
            if (signalInt != null) {
                signalInt.free();
            }
            if (base != null) {
                base.free();
            }
        }
        return ret;
    }
}
