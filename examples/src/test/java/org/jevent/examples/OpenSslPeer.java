package org.jevent.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.jevent.bufferevent.ssl.SelfSignedCertificate;

/**
 * The {@code openssl} command as a real TLS peer for the example tests: {@code s_server} with
 * its stdin piped from the test and its stdout (the bytes it received, with {@code -quiet}) in
 * a file, plus small helpers: a free loopback port, a throw-away certificate as PEM files,
 * SHA-256 comparison. A missing {@code openssl} fails the test with the reason (CI installs
 * it); it is never a skip. Every process is killed by its PID.
 */
final class OpenSslPeer {
    private OpenSslPeer() {
    }

    /** Fails, with what to do, unless the openssl command runs. */
    static void require() {
        String why;
        try {
            Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
            String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) {
                return;
            }
            why = "`openssl version` failed: " + v;
        } catch (IOException | InterruptedException e) {
            why = "no `openssl` command on the PATH (" + e.getMessage() + ")";
        }
        fail(why + "; these tests need the openssl command-line tool as the TLS peer (.ci/run installs it;"
                + " on Debian/Ubuntu: apt-get install openssl)");
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Writes a fresh self-signed certificate (SANs localhost, 127.0.0.1) and key: {cert, key}. */
    static Path[] writeCertificate(Path dir, String name) throws IOException {
        Path cert = dir.resolve(name + "-cert.pem");
        Path key = dir.resolve(name + "-key.pem");
        SelfSignedCertificate.generate().writePem(cert, key);
        return new Path[] {cert, key};
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Compares by hash, so a failure prints two short lines, not megabytes. */
    static void assertSameBytes(byte[] expected, byte[] actual, String what) {
        if (expected.length != actual.length) {
            fail(what + ": " + actual.length + " bytes, expected " + expected.length);
        }
        assertEquals(sha256(expected), sha256(actual), what + ": SHA-256 differs");
    }

    /** Waits until something listens on 127.0.0.1:port (from /proc/net/tcp: no connection spent). */
    static void awaitListening(int port, Process p, Path errFile) throws Exception {
        String needle = String.format("0100007F:%04X 00000000:0000 0A", port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            for (String line : Files.readAllLines(Path.of("/proc/net/tcp"))) {
                if (line.contains(needle)) {
                    return;
                }
            }
            if (!p.isAlive()) {
                fail("openssl exited (" + p.exitValue() + ") before listening on " + port + ": "
                        + (Files.exists(errFile) ? Files.readString(errFile) : ""));
            }
            Thread.sleep(20);
        }
        fail("nothing listens on 127.0.0.1:" + port + " after 10 s");
    }

    /** {@code openssl s_server -quiet -naccept 1} on 127.0.0.1:port. */
    static final class SServer implements AutoCloseable {
        final Process process;
        final Path received;
        final Path errors;
        final int port;

        SServer(Path dir, int port, Path cert, Path key, String versionFlag, String... extra) throws Exception {
            this.port = port;
            String tag = "s_server-" + port + versionFlag + "-" + System.nanoTime();
            received = dir.resolve(tag + ".out");
            errors = dir.resolve(tag + ".err");
            List<String> cmd = new ArrayList<>(List.of("openssl", "s_server", "-accept", "127.0.0.1:" + port, "-cert",
                    cert.toString(), "-key", key.toString(), versionFlag, "-quiet", "-naccept", "1"));
            cmd.addAll(List.of(extra));
            process = new ProcessBuilder(cmd).redirectOutput(received.toFile()).redirectError(errors.toFile()).start();
            awaitListening(port, process, errors);
        }

        /** Waits until s_server has printed at least {@code n} received bytes; returns them. */
        byte[] awaitReceived(int n, long millis) throws Exception {
            long deadline = System.currentTimeMillis() + millis;
            while (Files.size(received) < n) {
                if (System.currentTimeMillis() > deadline) {
                    fail("s_server received " + Files.size(received) + " of " + n + " bytes in " + millis + " ms; stderr: "
                            + Files.readString(errors));
                }
                Thread.sleep(20);
            }
            return Files.readAllBytes(received);
        }

        /** s_server sends what it reads on stdin to its client (only while a client is connected). */
        void send(byte[] data) throws IOException {
            OutputStream in = process.getOutputStream();
            in.write(data);
            in.flush();
        }

        String stderr() throws IOException {
            return Files.readString(errors);
        }

        /** SIGKILL by PID: the client sees the connection end without close_notify. */
        void kill() throws Exception {
            new ProcessBuilder("kill", "-KILL", Long.toString(process.pid())).start().waitFor(5, TimeUnit.SECONDS);
            process.waitFor(5, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws Exception {
            if (process.isAlive()) {
                kill();
            }
        }
    }
}
