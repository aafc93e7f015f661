package org.jevent.examples;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * An example run as a child JVM like {@link Child}, but with stdout kept apart from stderr and
 * kept as bytes, and stdin writable: for becat, whose stdout is the connection's data, and for
 * runs that need JVM options (a log level). Started through perl's {@code $SIG{INT}="DEFAULT"}
 * when perl exists, for the reason {@link Child} gives. {@link #close()} kills it by its PID.
 */
final class RawChild implements AutoCloseable {
    private static final Path PERL = Path.of("/usr/bin/perl");

    final Process process;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final List<String> errLines = new ArrayList<>();
    private final Thread outReader;
    private final Thread errReader;

    private RawChild(Process process) {
        this.process = process;
        this.outReader = daemon(this::pumpOut, "child-stdout-" + process.pid());
        this.errReader = daemon(this::pumpErr, "child-stderr-" + process.pid());
    }

    /** Starts {@code Main} with {@code jvmArgs} (e.g. {@code -Dname=value}) and the example's arguments. */
    static RawChild start(List<String> jvmArgs, String... exampleArgs) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (Files.isExecutable(PERL)) {
            cmd.addAll(List.of(PERL.toString(), "-e", "$SIG{INT}='DEFAULT'; exec @ARGV"));
        }
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("org.jevent.examples.Main");
        cmd.addAll(List.of(exampleArgs));
        return new RawChild(new ProcessBuilder(cmd).start());
    }

    static RawChild start(String... exampleArgs) throws IOException {
        return start(List.of(), exampleArgs);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        return t;
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

    private void pumpErr() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            String l;
            while ((l = r.readLine()) != null) {
                synchronized (this) {
                    errLines.add(l);
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

    synchronized byte[] stdoutBytes() {
        return stdout.toByteArray();
    }

    synchronized String stderr() {
        return String.join("\n", errLines);
    }

    /** Everything so far, for failure messages. */
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
        return awaitLine(() -> stdout.toString(StandardCharsets.UTF_8).lines().toList(), p, millis);
    }

    /** Waits for a stderr line matching {@code p}. */
    synchronized String awaitStderrLine(Predicate<String> p, long millis) throws InterruptedException {
        return awaitLine(() -> List.copyOf(errLines), p, millis);
    }

    private String awaitLine(java.util.function.Supplier<List<String>> lines, Predicate<String> p, long millis)
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
                throw new AssertionError("no such line within " + millis + " ms; " + describe());
            }
            wait(left);
        }
    }

    /** The port of a {@code listening on HOST:PORT} line, on stdout or stderr. */
    int awaitListeningPort() throws InterruptedException {
        Predicate<String> p = s -> s.startsWith("listening on ");
        long deadline = System.currentTimeMillis() + 20_000;
        synchronized (this) {
            while (true) {
                for (String l : stdout.toString(StandardCharsets.UTF_8).lines().toList()) {
                    if (p.test(l)) {
                        return Integer.parseInt(l.substring(l.lastIndexOf(':') + 1));
                    }
                }
                for (String l : errLines) {
                    if (p.test(l)) {
                        return Integer.parseInt(l.substring(l.lastIndexOf(':') + 1));
                    }
                }
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    throw new AssertionError("no 'listening on' line within 20 s; " + describe());
                }
                wait(left);
            }
        }
    }

    /** Sends {@code signal} ("INT", "TERM") to the child by its PID. */
    void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError("kill -" + signal + " " + process.pid() + " failed");
        }
    }

    /** Waits for the exit and for the output to be read; returns the status, or fails after {@code millis}. */
    int awaitExit(long millis) throws InterruptedException {
        if (!process.waitFor(millis, TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("still running after " + millis + " ms; " + describe());
        }
        outReader.join(2000);
        errReader.join(2000);
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        outReader.join(2000);
        errReader.join(2000);
    }
}
