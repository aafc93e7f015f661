package org.jevent.examples;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * An example run as a child JVM ({@code java -cp <test class path> org.jevent.examples.Main ...}),
 * with stdout and stderr merged and collected line by line, so a test can wait for a line, send
 * the child a signal by its PID, and check its exit status. {@link #close()} kills it by its PID if
 * it is still alive. How it is started (through perl, so that SIGINT reaches it), signalled,
 * awaited and killed is {@link ChildProcess}'s.
 */
final class Child extends ChildProcess {
    private final List<String> lines = new ArrayList<>();

    private Child(Process process) {
        super(process);
        startReader(() -> readLines(process.getInputStream(), lines, lines), "child-output");
    }

    static Child start(String... exampleArgs) throws IOException {
        return start(List.of(), exampleArgs);
    }

    /** Starts {@code Main} with {@code jvmArgs} (heap size, log level) and the example's arguments. */
    static Child start(List<String> jvmArgs, String... exampleArgs) throws IOException {
        return new Child(command(jvmArgs, exampleArgs).redirectErrorStream(true).start());
    }

    /** {@link #start(List, String...)} with at most {@code fdLimit} open descriptors (ulimit -n). */
    static Child startWithFdLimit(int fdLimit, List<String> jvmArgs, String... exampleArgs) throws IOException {
        return new Child(withFdLimit(fdLimit, jvmArgs, exampleArgs).redirectErrorStream(true).start());
    }

    /** Lines printed so far that contain {@code text}. */
    long count(String text) {
        synchronized (lines) {
            return lines.stream().filter(l -> l.contains(text)).count();
        }
    }

    /** Waits for a line matching {@code p}; fails with everything printed so far. */
    String await(Predicate<String> p, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        synchronized (lines) {
            while (true) {
                for (String l : lines) {
                    if (p.test(l)) {
                        return l;
                    }
                }
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    throw new AssertionError("no such line within " + millis + " ms; " + describe());
                }
                lines.wait(left);
            }
        }
    }

    String output() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    @Override
    String describe() {
        return "output:\n" + output();
    }

    /** The port of the {@code listening on HOST:PORT} line, within {@link #LISTENING_WAIT_MILLIS}. */
    int awaitListeningPort() throws InterruptedException {
        return portOf(await(s -> s.startsWith(LISTENING), LISTENING_WAIT_MILLIS));
    }
}
