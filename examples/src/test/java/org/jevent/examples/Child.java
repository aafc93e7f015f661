package org.jevent.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * An example run as a child JVM ({@code java -cp <test class path> org.jevent.examples.Main ...}),
 * with stdout and stderr merged and collected line by line, so a test can wait for a line, send
 * the child a signal by its PID, and check its exit status. {@link #close()} kills it by its PID if
 * it is still alive.
 *
 * <p>A process started in the background by a non-interactive shell inherits SIGINT as ignored,
 * and the JVM then never installs a handler for it (nor can any Java code undo that). So that the
 * SIGINT tests do not depend on how Maven was started, the child is started through
 * {@code perl -e '$SIG{INT}="DEFAULT"; exec @ARGV'} when perl exists: the same PID, SIGINT back
 * to its default before the JVM starts.
 */
final class Child implements AutoCloseable {
    private static final Path PERL = Path.of("/usr/bin/perl");

    final Process process;
    private final List<String> lines = new ArrayList<>();
    private final Thread reader;

    private Child(Process process) {
        this.process = process;
        this.reader = new Thread(this::pump, "child-output-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    static Child start(String... exampleArgs) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (Files.isExecutable(PERL)) {
            cmd.addAll(List.of(PERL.toString(), "-e", "$SIG{INT}='DEFAULT'; exec @ARGV"));
        }
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("org.jevent.examples.Main");
        cmd.addAll(List.of(exampleArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        return new Child(pb.start());
    }

    /** True when SIGINT can reach a child: perl resets it, or this JVM does not ignore it. */
    static boolean sigintDeliverable() {
        if (Files.isExecutable(PERL)) {
            return true;
        }
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("SigIgn:")) {
                    return (Long.parseLong(l.substring(7).trim(), 16) & (1L << 1)) == 0; // bit of signal 2
                }
            }
        } catch (IOException | RuntimeException e) {
            return true;
        }
        return true;
    }

    private void pump() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String l;
            while ((l = r.readLine()) != null) {
                synchronized (lines) {
                    lines.add(l);
                    lines.notifyAll();
                }
            }
        } catch (IOException ignored) {
            // the child went away
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
                    throw new AssertionError("no such line within " + millis + " ms; output:\n" + output());
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

    /** The port of the {@code listening on HOST:PORT} line. */
    int awaitListeningPort() throws InterruptedException {
        String l = await(s -> s.startsWith("listening on "), 20_000);
        return Integer.parseInt(l.substring(l.lastIndexOf(':') + 1));
    }

    /** Sends {@code signal} ("INT", "TERM") to the child by its PID with the kill command. */
    void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError("kill -" + signal + " " + process.pid() + " failed");
        }
    }

    /** Waits for the exit; returns the status, or fails (and kills it) after {@code millis}. */
    int awaitExit(long millis) throws InterruptedException {
        if (!process.waitFor(millis, TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("still running after " + millis + " ms; output:\n" + output());
        }
        reader.join(2000);
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        reader.join(2000);
    }
}
