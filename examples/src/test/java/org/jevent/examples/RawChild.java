package org.jevent.examples;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * An example run as a child JVM like {@link Child}, but with stdout kept apart from stderr and
 * kept as bytes, and stdin writable: for becat, whose stdout is the connection's data, and for
 * runs that need JVM options (a log level). Started, signalled, awaited and killed by its PID as
 * {@link ChildProcess} says.
 */
final class RawChild extends ChildProcess {
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final List<String> errLines = new ArrayList<>();

    private RawChild(Process process) {
        super(process);
        startReader(this::pumpOut, "child-stdout");
        startReader(() -> readLines(process.getErrorStream(), errLines, this), "child-stderr");
    }

    /** Starts {@code Main} with {@code jvmArgs} (e.g. {@code -Dname=value}) and the example's arguments. */
    static RawChild start(List<String> jvmArgs, String... exampleArgs) throws IOException {
        return new RawChild(command(jvmArgs, exampleArgs).start());
    }

    static RawChild start(String... exampleArgs) throws IOException {
        return start(List.of(), exampleArgs);
    }

    private void pumpOut() {
        byte[] buf = new byte[16384];
        try (InputStream in = process.getInputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                synchronized (this) {
                    stdout.write(buf, 0, n);
                    notifyAll();
                }
            }
        } catch (IOException ignored) {
            // the child went away
        }
    }

    OutputStream stdin() {
        return process.getOutputStream();
    }

    /** Writes {@code bytes} to the child's stdin and flushes them. */
    void writeStdin(byte[] bytes) throws IOException {
        stdin().write(bytes);
        stdin().flush();
    }

    synchronized byte[] stdoutBytes() {
        return stdout.toByteArray();
    }

    synchronized String stderr() {
        return String.join("\n", errLines);
    }

    /** Everything so far, for failure messages. */
    @Override
    synchronized String describe() {
        return "stderr:\n" + stderr() + "\nstdout (" + stdout.size() + " bytes):\n"
                + (stdout.size() < 4096 ? stdout.toString(StandardCharsets.UTF_8) : "(binary)");
    }

    /** Waits until stdout holds at least {@code n} bytes; returns them all. */
    synchronized byte[] awaitStdout(int n, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (stdout.size() < n) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                throw new AssertionError("stdout has " + stdout.size() + " of " + n + " bytes after " + millis + " ms; "
                        + describe());
            }
            wait(left);
        }
        return stdout.toByteArray();
    }

    /** Waits for a stdout line (the text so far, split at newlines) matching {@code p}. */
    synchronized String awaitStdoutLine(Predicate<String> p, long millis) throws InterruptedException {
        return awaitLine(this::stdoutLines, p, millis, "no such line within " + millis + " ms");
    }

    /** Waits for a stderr line matching {@code p}. */
    synchronized String awaitStderrLine(Predicate<String> p, long millis) throws InterruptedException {
        return awaitLine(() -> List.copyOf(errLines), p, millis, "no such line within " + millis + " ms");
    }

    /**
     * The port of a {@code listening on HOST:PORT} line, on stdout or stderr, within
     * {@link #LISTENING_WAIT_MILLIS}.
     */
    synchronized int awaitListeningPort() throws InterruptedException {
        Supplier<List<String>> both = () -> {
            List<String> all = new ArrayList<>(stdoutLines());
            all.addAll(errLines);
            return all;
        };
        return portOf(awaitLine(both, s -> s.startsWith(LISTENING), LISTENING_WAIT_MILLIS,
                "no 'listening on' line within " + LISTENING_WAIT_MILLIS / 1000 + " s"));
    }

    private List<String> stdoutLines() {
        return stdout.toString(StandardCharsets.UTF_8).lines().toList();
    }

    /** Called holding this object's lock, which the readers notify. */
    private String awaitLine(Supplier<List<String>> lines, Predicate<String> p, long millis, String failure)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (true) {
            for (String l : lines.get()) {
                if (p.test(l)) {
                    return l;
                }
            }
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                throw new AssertionError(failure + "; " + describe());
            }
            wait(left);
        }
    }
}
