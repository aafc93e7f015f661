package org.jevent.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * echo-server as a child process, driven by echo-client (in this JVM) and by the openssl
 * s_client command; stopped by SIGTERM or SIGINT sent to its PID, and expected to exit 0 after
 * logging every connection's end with its reason.
 */
class EchoTest {
    private static String client(String... args) {
        List<String> all = new ArrayList<>(List.of("echo-client"));
        all.addAll(List.of(args));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int rc = Main.run(all.toArray(new String[0]), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, out);
        assertTrue(out.contains("result: ok, every echoed byte verified"), out);
        assertTrue(out.matches("(?s).*messages: [1-9]\\d* in .* messages/s, .* MB/s.*"), out);
        assertTrue(out.matches("(?s).*latency: p50 .* us, p99 .* us, p999 .* us.*"), out);
        return out;
    }

    @Test
    @Timeout(40)
    void plainEchoOnTwoLoopsDrivenByEchoClientThenSigterm() throws Exception {
        try (Child server = Child.start("echo-server", "--port", "0", "--loops", "2", "--timeout", "1")) {
            int port = server.awaitListeningPort();
            // A connection that never sends anything is closed after the 1 s idle timeout.
            try (SocketChannel idle = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
                server.await(l -> l.contains("ended: timeout (reading)"), 10_000);
                assertEquals(-1, idle.read(ByteBuffer.allocate(1)), "the server closed the idle connection");
            }
            client("--host", "127.0.0.1", "--port", Integer.toString(port), "--connections", "4", "--size", "512",
                    "--depth", "4", "--seconds", "2");
            // Each of the 4 connections ends with the client's close: logged as EOF.
            server.await(l -> server.output().lines().filter(s -> s.contains("ended: EOF")).count() == 4, 5000);
            server.signal("TERM");
            assertEquals(0, server.awaitExit(10_000), server.output());
            assertTrue(server.output().contains("SIGTERM: stopping 2 loop(s)"), server.output());
        }
    }

    /**
     * {@code --loops 2} (an EventBaseGroup): connections are served on both loops (the DEBUG
     * accept line names the loop, matched by the client's own port), the connection cap is one
     * count for all loops (with one connection held on each loop and a cap of 2, a third is
     * refused whichever loop takes it; a slot freed on one loop serves the next client), and
     * SIGTERM with a connection open on each loop closes both as "server shutdown" and exits 0
     * within the group's grace period.
     */
    @Test
    @Timeout(60)
    void twoLoopsServeOnBothShareTheCapAndStopWithConnectionsOpen() throws Exception {
        try (Child server = Child.start(List.of("-Dorg.slf4j.simpleLogger.log.org.jevent.examples.EchoServer=debug"),
                "echo-server", "--port", "0", "--loops", "2", "--max-connections", "2")) {
            int port = server.awaitListeningPort();
            server.await(l -> l.contains("2 loop(s), connections spread by "), 5000);
            Socket[] held = new Socket[2];
            try {
                held[0] = holdOn(server, port, 0, held);
                held[1] = holdOn(server, port, 1, held);
                for (int i = 0; i < 4; i++) {
                    assertTrue(FaultClients.refused(port, 5000), "the cap of 2 counts both loops' connections");
                }
                server.await(l -> l.contains("connection limit of 2 reached"), 5000);
                int freed = held[0].getLocalPort();
                held[0].close();
                // Logged once its slot is free, so the next client may land on either loop.
                server.await(l -> l.contains(":" + freed + " ended: EOF"), 5000);
                held[0] = holdOn(server, port, 0, held);

                server.signal("TERM");
                assertEquals(0, server.awaitExit(20_000), server.output());
                String out = server.output();
                assertTrue(out.contains("SIGTERM: stopping 2 loop(s), 2 connection(s) open"), out);
                for (Socket s : held) {
                    assertTrue(out.contains(":" + s.getLocalPort() + " ended: server shutdown"), out);
                    assertEquals(-1, s.getInputStream().read(), "the server closed the connection at its stop");
                }
                assertTrue(out.contains("echo-server: stopped"), out);
                assertTrue(!out.contains("still had work"), "every loop finished within the grace period:\n" + out);
            } finally {
                for (Socket s : held) {
                    if (s != null) {
                        s.close();
                    }
                }
            }
        }
    }

    /**
     * Opens connections until one is served on loop {@code loop} (the kernel picks the loop: at
     * most 64 tries, each a coin toss), closing the others once the server has seen them end;
     * {@code held} are the connections kept open meanwhile (they count against the cap).
     */
    private static Socket holdOn(Child server, int port, int loop, Socket[] held) throws Exception {
        for (int attempt = 0; attempt < 64; attempt++) {
            Socket s = new Socket("127.0.0.1", port);
            s.setSoTimeout(10_000);
            byte[] line = ("hello " + attempt + "\n").getBytes(StandardCharsets.US_ASCII);
            s.getOutputStream().write(line);
            assertEquals(new String(line, StandardCharsets.US_ASCII),
                    new String(s.getInputStream().readNBytes(line.length), StandardCharsets.US_ASCII), "echoed");
            int local = s.getLocalPort();
            String accepted = server.await(l -> l.contains(":" + local + " on loop "), 5000);
            if (accepted.endsWith(" on loop " + loop)) {
                return s;
            }
            s.close();
            server.await(l -> l.contains(":" + local + " ended: EOF"), 5000);
        }
        throw new AssertionError("64 connections, none served on loop " + loop + "; held " + java.util.Arrays.toString(held)
                + "; " + server.describe());
    }

    @Test
    @Timeout(60)
    void tlsEchoDrivenByEchoClientAndOpensslThenSigint(@TempDir Path dir) throws Exception {
        assumeTrue(Child.sigintDeliverable(), "SIGINT is ignored in this process tree and perl is absent");
        try (Child server = Child.start("echo-server", "--port", "0", "--tls")) {
            int port = server.awaitListeningPort();
            client("--host", "127.0.0.1", "--port", Integer.toString(port), "--tls", "--connections", "2", "--size", "1024",
                    "--depth", "2", "--seconds", "2");
            server.await(l -> server.output().lines().filter(s -> s.contains("ended: clean close_notify")).count() == 2,
                    5000);
            assertTrue(opensslAvailable(), "no `openssl` command on the PATH: .ci/run installs it (Debian package openssl)");
            for (String version : List.of("-tls1_2", "-tls1_3")) {
                sClientEchoesALine(port, version, dir);
            }
            // s_client was killed, not closed: the server saw EOF without close_notify.
            server.await(l -> l.contains("ended: truncated"), 5000);
            server.signal("INT");
            assertEquals(0, server.awaitExit(10_000), server.output());
            assertTrue(server.output().contains("SIGINT: stopping 1 loop(s)"), server.output());
        }
    }

    /**
     * echo-server --tls --cert --key with PEM files, the JDK provider or BoringSSL through
     * netty-tcnative, and the client checking the chain.
     */
    @ParameterizedTest
    @ValueSource(strings = {"jdk", "tcnative"})
    @Timeout(40)
    void tlsEchoWithPemFilesAndAnotherProvider(String provider, @TempDir Path dir) throws Exception {
        Path[] cert = OpenSslPeer.writeCertificate(dir, "server");
        try (Child server = Child.start("echo-server", "--port", "0", "--tls", "--cert", cert[0].toString(), "--key",
                cert[1].toString(), "--provider", provider)) {
            int port = server.awaitListeningPort();
            String out = client("--host", "localhost", "--port", Integer.toString(port), "--tls", "--cafile",
                    cert[0].toString(), "--connections", "2", "--size", "100", "--depth", "1", "--seconds", "1");
            assertTrue(out.contains("TLSv1.3"), out);
            server.signal("TERM");
            assertEquals(0, server.awaitExit(10_000), server.output());
        }
    }

    private static boolean opensslAvailable() {
        try {
            Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** openssl s_client: send a line, read it back, then kill s_client by its PID. */
    private static void sClientEchoesALine(int port, String version, Path dir) throws Exception {
        Path err = dir.resolve("s_client" + version + ".err");
        Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + port, version, "-quiet")
                .redirectError(err.toFile()).start();
        try {
            String line = "hello over " + version;
            OutputStream in = p.getOutputStream();
            in.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            in.flush();
            // Read stdout on a helper thread so that a silent server cannot hang the test.
            StringBuilder got = new StringBuilder();
            Thread reader = new Thread(() -> {
                try {
                    int c;
                    while ((c = p.getInputStream().read()) >= 0) {
                        synchronized (got) {
                            got.append((char) c);
                            got.notifyAll();
                        }
                    }
                } catch (IOException ignored) {
                    // killed
                }
            });
            reader.setDaemon(true);
            reader.start();
            long deadline = System.currentTimeMillis() + 10_000;
            synchronized (got) {
                while (!got.toString().contains(line + "\n") && System.currentTimeMillis() < deadline) {
                    got.wait(200);
                }
            }
            assertTrue(got.toString().contains(line + "\n"), "s_client " + version + " got back '" + got + "'; stderr:\n"
                    + (Files.exists(err) ? Files.readString(err) : ""));
        } finally {
            new ProcessBuilder("kill", "-KILL", Long.toString(p.pid())).start().waitFor(5, TimeUnit.SECONDS);
            p.waitFor(5, TimeUnit.SECONDS);
        }
        assertTrue(!p.isAlive(), "s_client still alive");
    }
}
