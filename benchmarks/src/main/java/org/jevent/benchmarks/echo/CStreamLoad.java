package org.jevent.benchmarks.echo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The streaming workloads driven by {@code benchmarks/c/echo-load.c} ({@code --stream-client c})
 * instead of a thread of this JVM: the same connections, messages and depth, every echoed byte
 * checked, as the issue's own C load generator did, by a client whose CPU time is almost all the
 * kernel's own work for its sends and receives (no JVM beside it, no selector, no JIT). It is a
 * child process ({@link ChildProcesses}: killed with the driver) with no pinning of its own, so
 * it shares whatever CPUs this JVM runs on.
 *
 * <p>The driver marks the window: after the warm-up and after the window it asks the client for
 * a mark over its standard input ({@link Client#mark}) while reading the server's counters
 * ({@link WindowEdge}), so the result is the same {@link StreamLoad.Run} as the Java client's,
 * its client CPU time being the C process's. A client that finds a wrong byte, or loses a
 * connection, exits with its reason on standard error; that reason is this class's exception.
 * One process per window: started, marked twice, told to quit (it drains and checks what is still
 * in flight), and killed if anything in between fails.
 */
final class CStreamLoad {
    private CStreamLoad() {
    }

    /**
     * Something that watches the server over a timed window besides the load (a profiler):
     * begun right after the window's first edge, finished right after its last.
     */
    interface Watch {
        /** Watches nothing. */
        Watch NONE = new Watch() {
            @Override
            public void begin(ServerProcess server, int seconds) {
            }

            @Override
            public void finish() {
            }
        };

        /** The window of {@code seconds} against {@code server} starts now. */
        void begin(ServerProcess server, int seconds) throws IOException;

        /** The window has ended (also called when it failed: release what {@link #begin} started). */
        void finish() throws IOException;
    }

    static StreamLoad.Run run(ServerProcess server, ClientTls tls, int conns, int size, int depth, int warmup,
            int seconds) throws IOException {
        return run(server, tls, conns, size, depth, warmup, seconds, Watch.NONE);
    }

    /** As {@link #run(ServerProcess, ClientTls, int, int, int, int, int)}, with {@code watch} over the window. */
    static StreamLoad.Run run(ServerProcess server, ClientTls tls, int conns, int size, int depth, int warmup,
            int seconds, Watch watch) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Servers.echoLoad().toString()));
        if (tls != null) {
            cmd.add("--tls");
        }
        cmd.addAll(List.of(server.address.getHostString(), Integer.toString(server.address.getPort()),
                Integer.toString(conns), Integer.toString(size), Integer.toString(depth)));
        try (Client client = new Client(ChildProcesses.start(new ProcessBuilder(cmd)))) {
            client.awaitReady();
            client.sleep(warmup);
            WindowEdge start = WindowEdge.read(server, client);
            StreamLoad.Run r;
            watch.begin(server, seconds);
            try {
                client.sleep(seconds);
                r = start.to(WindowEdge.read(server, client));
            } finally {
                watch.finish();
            }
            client.quit();
            return r;
        }
    }

    /**
     * One running {@code echo-load}: commands go to its standard input, its lines ({@code ready},
     * {@code mark BYTES NANOS CPU}) come from its standard output, its error from standard error.
     */
    private static final class Client implements WindowEdge.Client, AutoCloseable {
        private final Process process;
        private final BufferedReader lines;
        private final OutputStream commands;

        Client(Process process) {
            this.process = process;
            this.lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
            this.commands = process.getOutputStream();
        }

        /** Waits for {@code ready}: every connection is open (and handshaken) and data flows. */
        void awaitReady() throws IOException {
            String line = lines.readLine();
            if (!"ready".equals(line)) {
                throw failed("expected ready, got " + line);
            }
        }

        /** Waits {@code seconds}, or fails as soon as the client exits (it found an error). */
        void sleep(int seconds) throws IOException {
            if (exitsWithin(seconds)) {
                throw failed("exited during the run");
            }
        }

        /** Whether the client ends within {@code seconds}; an interruption is an InterruptedIOException. */
        private boolean exitsWithin(int seconds) throws IOException {
            try {
                return process.waitFor(seconds, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for echo-load");
            }
        }

        @Override
        public WindowEdge.Mark mark() throws IOException {
            command("mark");
            String line = lines.readLine();
            String[] f = line == null ? new String[0] : line.split(" ");
            if (f.length != 4 || !f[0].equals("mark")) {
                throw failed("expected a mark, got " + line);
            }
            return new WindowEdge.Mark(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]));
        }

        /** Ends the client and checks that it found nothing wrong up to its end. */
        void quit() throws IOException {
            command("quit");
            if (!exitsWithin(10)) {
                throw failed("did not end within 10 s of quit");
            }
            if (process.exitValue() != 0) {
                throw failed("failed at its end");
            }
        }

        private void command(String c) throws IOException {
            try {
                commands.write((c + "\n").getBytes(StandardCharsets.US_ASCII));
                commands.flush();
            } catch (IOException gone) {
                throw failed("could not be sent " + c + " (" + gone.getMessage() + ")");
            }
        }

        /** An exception with {@code what} and, once the client has ended, its status and message. */
        private IOException failed(String what) {
            StringBuilder m = new StringBuilder("echo-load " + what);
            try {
                if (process.waitFor(2, TimeUnit.SECONDS)) {
                    m.append(" (exit ").append(process.exitValue()).append("): ").append(
                            new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim());
                }
            } catch (IOException e) {
                m.append(" (its message could not be read: ").append(e).append(')');
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new IOException(m.toString());
        }

        /** Kills a client still running (a failure above, or the driver's interruption). */
        @Override
        public void close() {
            if (process.isAlive()) {
                process.destroyForcibly();
            }
        }
    }
}
