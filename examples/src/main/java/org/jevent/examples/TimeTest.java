package org.jevent.examples;

import java.io.PrintStream;
import java.time.Duration;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;

/**
 * Port of libevent's {@code sample/time-test.c}
 * (https://github.com/libevent/libevent/blob/master/sample/time-test.c): a timer that fires every
 * two seconds and prints how much time really passed. Without {@code -p} the callback re-adds the
 * one-shot event itself; with {@code -p} the event is {@code EV_PERSIST} and the loop re-arms it.
 *
 * <p>The functions keep the C names and order: {@code timeout_cb}, {@code main}. Addition to the
 * C program: {@code --count N} stops after N callbacks (the C sample runs until killed), so that
 * it can end by itself in tests; {@code --interval-ms} changes the 2 s period.
 */
final class TimeTest {
    static final String SUMMARY = "port of sample/time-test.c: a timer re-armed every 2 s";
    private static final String USAGE = String.join("\n",
            "usage: time-test [-p] [--count N] [--interval-ms MS]",
            "  -p                persistent event (EV_PERSIST) instead of re-adding in the callback",
            "  --count N         stop after N timeouts (default: run until killed, as the C sample)",
            "  --interval-ms MS  timer period (default 2000, the C sample's 2 s)");

    private final PrintStream out;
    /** C {@code struct timeval lasttime}. */
    private long lasttime;
    /** C {@code int event_is_persistent}. */
    private boolean eventIsPersistent;
    private Duration interval = Duration.ofSeconds(2);
    private int count;
    private int called;

    private TimeTest(PrintStream out) {
        this.out = out;
    }

    static int run(String[] args, PrintStream out) {
        return Opts.runExample("time-test", USAGE, args, out, o -> o.flag("-p").value("--count", "--interval-ms"),
                o -> {
                    o.getInt("--count", 0);
                    o.getInt("--interval-ms", 2000);
                },
                o -> {
                    TimeTest t = new TimeTest(out);
                    t.count = o.getInt("--count", 0);
                    t.interval = Duration.ofMillis(o.getInt("--interval-ms", 2000));
                    return t.main(o.has("-p"));
                });
    }

    /** C {@code timeout_cb}. */
    private void timeoutCb(Event timeout, int event) {
        long newtime = System.nanoTime();
        double elapsed = (newtime - lasttime) / 1e9;
        out.printf("timeout_cb called at %d: %.3f seconds elapsed.%n", System.currentTimeMillis() / 1000, elapsed);
        out.flush();
        lasttime = newtime;

        called++;
        if (count > 0 && called >= count) {
            timeout.del(); // --count: nothing left pending, so dispatch() returns
            return;
        }
        if (!eventIsPersistent) {
            timeout.add(interval);
        }
    }

    /** C {@code main}. */
    private int main(boolean persistent) {
        Event timeout = new Event();
        EventBase base;
        int flags;

        if (persistent) {
            eventIsPersistent = true;
            flags = Event.EV_PERSIST;
        } else {
            eventIsPersistent = false;
            flags = 0;
        }

        // Initialize the event library
        base = new EventBase();

        // Initialize one event
        timeout.assign(base, null, flags, this::timeoutCb);

        timeout.add(interval);

        lasttime = System.nanoTime();

        base.dispatch();

        timeout.free();
        base.free();
        return 0;
    }
}
