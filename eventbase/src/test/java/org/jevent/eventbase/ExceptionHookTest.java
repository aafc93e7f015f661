package org.jevent.eventbase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.event.Level;

/** The exception hook: every throwing callback reaches it, the loop survives, the default never loses one. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ExceptionHookTest {

    /** What a hook was given. */
    record Failure(EventBase base, Object running, Throwable error) {
    }

    @Test
    void custom_hook_gets_every_throw_with_what_ran_and_the_loop_goes_on() {
        List<Failure> failures = new ArrayList<>();
        EventBase base = new EventBase(new EventConfig().exceptionHook((b, r, e) -> failures.add(new Failure(b, r, e))));
        List<String> ran = new ArrayList<>();
        IllegalStateException fromEvent = new IllegalStateException("event callback (expected by the test)");
        OutOfMemoryError fromTask = new OutOfMemoryError("task (expected by the test)");
        StackOverflowError fromDeferred = new StackOverflowError("deferred (expected by the test)");
        Event thrower = new Event(base, null, 0, (e, w) -> {
            ran.add("event");
            throw fromEvent;
        });
        Event after = new Event(base, null, 0, (e, w) -> ran.add("after"));
        Runnable task = () -> {
            ran.add("task");
            throw fromTask;
        };
        DeferredCallback deferred = new DeferredCallback(base, () -> {
            ran.add("deferred");
            throw fromDeferred;
        });
        base.execute(task);
        thrower.activate(Event.EV_READ);
        after.activate(Event.EV_READ);
        deferred.schedule();
        assertEquals(1, base.loop(0)); // ran everything, then nothing was pending
        assertEquals(List.of("task", "event", "after", "deferred"), ran);
        assertEquals(3, failures.size());
        assertSame(task, failures.get(0).running());
        assertSame(fromTask, failures.get(0).error());
        assertSame(thrower, failures.get(1).running());
        assertSame(fromEvent, failures.get(1).error());
        assertSame(deferred, failures.get(2).running());
        assertSame(fromDeferred, failures.get(2).error());
        for (Failure f : failures) {
            assertSame(base, f.base());
        }
        base.free();
    }

    @Test
    void hook_set_later_from_another_thread_takes_over() throws Exception {
        EventBase base = new EventBase();
        assertSame(ExceptionHook.logging(), base.getExceptionHook());
        List<Throwable> seen = new ArrayList<>();
        ExceptionHook hook = (b, r, e) -> seen.add(e);
        Thread setter = new Thread(() -> base.setExceptionHook(hook));
        setter.start();
        setter.join();
        assertSame(hook, base.getExceptionHook());
        RuntimeException boom = new RuntimeException("expected by the test");
        new Event(base, null, 0, (e, w) -> {
            throw boom;
        }).activate(Event.EV_TIMEOUT);
        base.loop(EventBase.EVLOOP_NONBLOCK);
        assertEquals(List.of(boom), seen);
        base.free();
    }

    @Test
    void reportException_hands_an_inline_callbacks_throw_to_the_hook_and_returns() {
        List<Failure> failures = new ArrayList<>();
        EventBase base = new EventBase(new EventConfig().exceptionHook((b, r, e) -> failures.add(new Failure(b, r, e))));
        Object tap = new Object();
        IllegalStateException thrown = new IllegalStateException("inline callback (expected by the test)");
        List<String> ran = new ArrayList<>();
        new Event(base, null, 0, (e, w) -> {
            base.reportException(tap, thrown);
            ran.add("went on after the report");
        }).activate(Event.EV_READ);
        assertEquals(1, base.loop(0));
        assertEquals(List.of("went on after the report"), ran);
        assertEquals(1, failures.size());
        assertSame(base, failures.get(0).base());
        assertSame(tap, failures.get(0).running());
        assertSame(thrown, failures.get(0).error());
        base.free();
    }

    @Test
    void a_hook_that_throws_does_not_stop_the_loop() {
        EventBase base = new EventBase(new EventConfig().exceptionHook((b, r, e) -> {
            throw new IllegalStateException("the hook itself fails (expected by the test)");
        }));
        int[] after = {0};
        new Event(base, null, 0, (e, w) -> {
            throw new IllegalArgumentException("callback (expected by the test)");
        }).activate(Event.EV_READ);
        new Event(base, null, 0, (e, w) -> after[0]++).activate(Event.EV_READ);
        assertEquals(1, base.loop(0));
        assertEquals(1, after[0]);
        base.free();
    }

    @Test
    void default_hook_logs_through_slf4j_at_error_when_a_binding_is_present() {
        // This test JVM has slf4j-simple: the default must log, not print.
        assertFalse(LoggingExceptionHook.slf4jDropsEverything());
        RecordingLogger log = new RecordingLogger();
        LoggingExceptionHook hook = new LoggingExceptionHook(log, null);
        EventBase base = new EventBase(new EventConfig().exceptionHook(hook));
        RuntimeException boom = new RuntimeException("expected by the test");
        Event ev = new Event(base, null, 0, (e, w) -> {
            throw boom;
        });
        ev.activate(Event.EV_READ);
        base.loop(EventBase.EVLOOP_NONBLOCK);
        assertEquals(1, log.entries.size());
        RecordingLogger.Entry entry = log.entries.get(0);
        assertEquals(Level.ERROR, entry.level());
        assertSame(boom, entry.error());
        assertTrue(entry.message().contains("callback of " + ev), entry.message());
        assertTrue(entry.message().contains("the loop goes on"), entry.message());
        base.free();
    }

    @Test
    void default_hook_prints_to_stderr_when_told_no_binding_is_present() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        RecordingLogger log = new RecordingLogger();
        LoggingExceptionHook hook = new LoggingExceptionHook(log, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        EventBase base = new EventBase(new EventConfig().exceptionHook(hook));
        Runnable task = new NamedTask();
        base.execute(task);
        base.loop(EventBase.EVLOOP_NONBLOCK);
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(log.entries.isEmpty());
        assertTrue(out.contains("ERROR"), out);
        assertTrue(out.contains("task " + task), out);
        assertTrue(out.contains("no SLF4J binding"), out);
        assertTrue(out.contains("java.lang.IllegalStateException: named task failed (expected by the test)"), out);
        assertTrue(out.contains("at " + NamedTask.class.getName() + ".run"), out);
        base.free();
    }

    /**
     * The real thing: a JVM with slf4j-api and no binding (SLF4J falls back to NOP). The default
     * hook must notice and print the failure to stderr.
     */
    @Test
    void without_any_slf4j_binding_the_failure_reaches_stderr() throws Exception {
        ChildJvm.Result r = ChildJvm.runWithoutSlf4jBinding(ThrowingMain.class);
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("loop survived"), r.out());
        assertTrue(r.err().contains("no SLF4J binding"), r.err());
        assertTrue(r.err().contains("callback of Event["), r.err());
        assertTrue(r.err().contains("java.lang.IllegalStateException: " + ThrowingMain.MESSAGE), r.err());
    }

    /** A task whose toString names it, and whose run is a named frame in the stack. */
    static final class NamedTask implements Runnable {
        @Override
        public void run() {
            throw new IllegalStateException("named task failed (expected by the test)");
        }

        @Override
        public String toString() {
            return "NamedTask";
        }
    }

    /** The child JVM of {@link #without_any_slf4j_binding_the_failure_reaches_stderr}. */
    static final class ThrowingMain {
        static final String MESSAGE = "thrown in a JVM without SLF4J binding";

        public static void main(String[] args) throws IOException {
            EventBase base = new EventBase(new EventConfig().stallThreshold(null));
            int[] after = {0};
            new Event(base, null, 0, (e, w) -> {
                throw new IllegalStateException(MESSAGE);
            }).activate(Event.EV_READ);
            new Event(base, null, 0, (e, w) -> after[0]++).activate(Event.EV_READ);
            base.loop(0);
            base.free();
            System.out.println(after[0] == 1 ? "loop survived" : "loop did not survive");
        }
    }
}
