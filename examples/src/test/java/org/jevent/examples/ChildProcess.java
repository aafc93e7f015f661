package org.jevent.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What {@link Child} and {@link RawChild} share: an example run as a child JVM
 * ({@code java [JVM options] -cp <test class path> org.jevent.examples.Main ...}), sent signals
 * by its PID, awaited, and killed by its PID on {@link #close()} if it is still alive. The
 * subclasses read its output, each in its own way, on daemon threads started with
 * {@link #startReader}, which {@link #awaitExit} and {@link #close()} join.
 *
 * <p>A process started in the background by a non-interactive shell inherits SIGINT as ignored,
 * and the JVM then never installs a handler for it (nor can any Java code undo that). So that the
 * SIGINT tests do not depend on how Maven was started, the child is started through
 * {@code perl -e '$SIG{INT}="DEFAULT"; exec @ARGV'} when perl exists: the same PID, SIGINT back
 * to its default before the JVM starts.
 */
abstract class ChildProcess implements AutoCloseable {
    private static final Path PERL = Path.of("/usr/bin/perl");

    /** The line the server examples print once accepting: {@code listening on HOST:PORT}. */
    static final String LISTENING = "listening on ";

    /**
     * How long either child type waits for its {@link #LISTENING} line: 60 s. A TLS server making
     * its throw-away certificate under a load average of 34 on 2 cores took more than 20 s, and a
     * loaded CI machine is the place these tests run.
     */
    static final long LISTENING_WAIT_MILLIS = 60_000;

    final Process process;
    private final List<Thread> readers = new ArrayList<>();

    ChildProcess(Process process) {
        this.process = process;
    }

    /** The command line: (perl,) java, {@code jvmArgs} (e.g. {@code -Dname=value}), Main and the example's arguments. */
    static ProcessBuilder command(List<String> jvmArgs, String... exampleArgs) {
        return command(System.getProperty("java.class.path"), jvmArgs, exampleArgs);
    }

    private static ProcessBuilder command(String classPath, List<String> jvmArgs, String... exampleArgs) {
        List<String> cmd = new ArrayList<>();
        if (Files.isExecutable(PERL)) {
            cmd.addAll(List.of(PERL.toString(), "-e", "$SIG{INT}='DEFAULT'; exec @ARGV"));
        }
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add("org.jevent.examples.Main");
        cmd.addAll(List.of(exampleArgs));
        return new ProcessBuilder(cmd);
    }

    /**
     * {@link #command} run under a descriptor limit, from {@link #classPathOfJars()}: {@code sh -c
     * 'ulimit -n LIMIT && exec "$@"'}, so the child keeps the same PID; the limit is both soft and
     * hard, so the JVM cannot raise it (it raises the soft one to the hard one at start-up
     * otherwise).
     */
    static ProcessBuilder withFdLimit(int limit, List<String> jvmArgs, String... exampleArgs) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "ulimit -n " + limit + " && exec \"$@\"", "sh"));
        cmd.addAll(command(classPathOfJars(), jvmArgs, exampleArgs).command());
        return new ProcessBuilder(cmd);
    }

    private static String jarredClassPath;

    /**
     * The class path with each directory (target/classes, target/test-classes under Maven's test
     * phase) packed into a jar. A JVM out of descriptors cannot open a class file to load a class
     * it has not needed yet (NoClassDefFoundError), while a jar, opened once at start-up, stays
     * open: so a child under a descriptor limit runs from jars, as the shaded examples jar does.
     */
    static synchronized String classPathOfJars() throws IOException {
        if (jarredClassPath != null) {
            return jarredClassPath;
        }
        Path dir = Files.createTempDirectory("jevent-child-cp");
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(e);
            if (!Files.isDirectory(p)) {
                entries.add(e);
                continue;
            }
            Path jar = dir.resolve("classes-" + n++ + ".jar");
            try (java.util.jar.JarOutputStream out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar));
                    java.util.stream.Stream<Path> files = Files.walk(p)) {
                for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                    out.putNextEntry(new java.util.jar.JarEntry(p.relativize(f).toString().replace('\\', '/')));
                    Files.copy(f, out);
                    out.closeEntry();
                }
            }
            jar.toFile().deleteOnExit();
            entries.add(jar.toString());
        }
        dir.toFile().deleteOnExit();
        jarredClassPath = String.join(java.io.File.pathSeparator, entries);
        return jarredClassPath;
    }

    /** The child's PID (the JVM's own: perl and sh exec it). */
    long pid() {
        return process.pid();
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

    /** The port of a {@code listening on HOST:PORT} line. */
    static int portOf(String listeningLine) {
        return Integer.parseInt(listeningLine.substring(listeningLine.lastIndexOf(':') + 1));
    }

    /** Starts a daemon thread reading the child's output; {@link #awaitExit} and {@link #close()} join it. */
    final void startReader(Runnable pump, String name) {
        Thread t = new Thread(pump, name + "-" + process.pid());
        t.setDaemon(true);
        t.start();
        readers.add(t);
    }

    /**
     * Reads {@code in} (the child's output) line by line into {@code lines}, holding {@code lock}
     * for each line and waking whoever waits on it; returns when the child has gone away.
     */
    static void readLines(InputStream in, List<String> lines, Object lock) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String l;
            while ((l = r.readLine()) != null) {
                synchronized (lock) {
                    lines.add(l);
                    lock.notifyAll();
                }
            }
        } catch (IOException ignored) {
            // the child went away
        }
    }

    /** What the child printed so far, for failure messages. */
    abstract String describe();

    /** Sends {@code signal} ("INT", "TERM") to the child by its PID with the kill command. */
    void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError("kill -" + signal + " " + process.pid() + " failed");
        }
    }

    /**
     * Waits for the exit and for the output to be read; returns the status, or fails (and kills
     * it) after {@code millis}.
     */
    int awaitExit(long millis) throws InterruptedException {
        if (!process.waitFor(millis, TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("still running after " + millis + " ms; " + describe());
        }
        joinReaders();
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        joinReaders();
    }

    private void joinReaders() throws InterruptedException {
        for (Thread t : readers) {
            t.join(2000);
        }
    }
}
