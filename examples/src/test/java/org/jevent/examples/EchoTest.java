package org.jevent.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
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

    /** echo-server --tls --cert --key with PEM files, the JDK provider, and the client checking the chain. */
    @Test
    @Timeout(40)
    void tlsEchoWithPemFilesAndJdkProvider(@TempDir Path dir) throws Exception {
        Path[] cert = OpenSslPeer.writeCertificate(dir, "server");
        try (Child server = Child.start("echo-server", "--port", "0", "--tls", "--cert", cert[0].toString(), "--key",
                cert[1].toString(), "--provider", "jdk")) {
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
