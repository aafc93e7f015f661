package org.jevent.bufferevent.ssl;

import static org.jevent.bufferevent.Bufferevent.EV_READ;
import static org.jevent.bufferevent.Bufferevent.EV_WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLEngine;
import org.conscrypt.Conscrypt;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.eventbase.EvConnListener;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Real peers: the {@code openssl} command ({@code s_server}, {@code s_client}) on 127.0.0.1,
 * TLS 1.2 and 1.3, against both providers. Every process is killed by its PID at the end. The
 * {@code openssl} command must be installed ({@code .ci/run} does it): these tests fail without
 * it rather than pass unseen.
 */
@Timeout(120)
class OpenSslPeerTest {
    private static Path dir;
    private static Path certPem;
    private static Path keyPem;

    private final EventBase base = new EventBase();
    private final List<Process> processes = new ArrayList<>();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeAll
    static void keys() throws Exception {
        boolean present;
        try {
            Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
            String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            present = p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
            System.out.println("openssl peer: " + v);
        } catch (IOException e) {
            present = false;
        }
        assertTrue(present, "no `openssl` command on the PATH: .ci/run installs it (Debian package openssl)");
        dir = Files.createTempDirectory("jevent-openssl");
        certPem = dir.resolve("cert.pem");
        keyPem = dir.resolve("key.pem");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyPem.toString(), "-out", certPem.toString(),
                "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, out);
    }

    @AfterAll
    static void removeKeys() throws IOException {
        if (dir != null) {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    @AfterEach
    void cleanup() throws Exception {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        for (AutoCloseable c : toClose) {
            c.close();
        }
        base.free();
    }

    // ------------------------------------------------------------------ helpers

    private Process start(Path out, String... cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectOutput(out.toFile());
        pb.redirectError(dir.resolve(out.getFileName() + ".err").toFile());
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Waits until something listens on 127.0.0.1:port (read from /proc, so no connection is spent). */
    private static void awaitListening(int port, Process p) throws Exception {
        String needle = String.format(":%04X ", port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            for (String line : Files.readAllLines(Path.of("/proc/net/tcp"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 3 && (f[1] + " ").contains(needle) && f[3].equals("0A")) {
                    return;
                }
            }
            assertTrue(p.isAlive(), "openssl exited early");
            Thread.sleep(20);
        }
        throw new AssertionError("openssl did not listen on " + port);
    }

    private static SSLEngine clientEngine(SslProvider impl, String protocol, int port) throws Exception {
        return clientEngine(impl, protocol, "localhost", port);
    }

    /**
     * A client engine that trusts openssl's certificate alone, for peer {@code host}: the name
     * checked against the certificate and sent as SNI.
     */
    private static SSLEngine clientEngine(SslProvider impl, String protocol, String host, int port)
            throws Exception {
        return SslContexts.forClient().provider(impl).protocols(protocol).trustPem(certPem).build()
                .newClientEngine(host, port);
    }

    private static String flag(String protocol) {
        return protocol.equals("TLSv1.3") ? "-tls1_3" : "-tls1_2";
    }

    private static String text(Path p) throws IOException {
        return Files.exists(p) ? Files.readString(p, StandardCharsets.ISO_8859_1) : "";
    }

    private static void send(Process p, String s) throws IOException {
        OutputStream o = p.getOutputStream();
        o.write(s.getBytes(StandardCharsets.US_ASCII));
        o.flush();
    }

    /** Our TLS server on an ephemeral loopback port: the accepted connection goes into {@code conn}. */
    private int ourServer(SslProvider impl, String protocol, ServerConn conn) throws Exception {
        return ourServer(impl, protocol, conn, b -> { });
    }

    /** As above; {@code setup} gets each accepted TLS bufferevent before any byte of it moves. */
    private int ourServer(SslProvider impl, String protocol, ServerConn conn,
            java.util.function.Consumer<SslBufferevent> setup) throws Exception {
        EvConnListener l = EvConnListener.newBind(base, (x, ch, peer) -> {
            try {
                conn.bev = SslBufferevent.socket(base, ch, TlsTestSupport.engine(impl, false, protocol),
                        SslState.ACCEPTING, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            setup.accept(conn.bev);
            conn.bev.setCallbacks(b -> {
                byte[] a = new byte[(int) b.getInput().getLength()];
                b.read(a);
                conn.md.update(a);
                conn.count += a.length;
                if (conn.text.length() < (1 << 20)) { // the text tests are short; the bulk ones only hash
                    conn.text.append(new String(a, StandardCharsets.ISO_8859_1));
                }
            }, null, (b, what) -> {
                conn.events.add(TlsHarness.ev(what));
                if ((what & Bufferevent.BEV_EVENT_ERROR) != 0) {
                    SslError e = conn.bev.getSslError();
                    conn.reason = e == null ? "none" : e.describe();
                }
            });
            conn.bev.enable(EV_READ | EV_WRITE);
        }, EvConnListener.LEV_OPT_CLOSE_ON_FREE | EvConnListener.LEV_OPT_REUSEABLE, -1,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        toClose.add(l);
        return ((InetSocketAddress) l.getLocalAddress()).getPort();
    }

    /** The issue's size for a transfer with a real peer. */
    private static final long BULK_BYTES = 64L << 20;

    /**
     * A seeded stream of {@code total} pseudo-random bytes made in 256 KiB chunks as they are
     * needed, hashed as they are made, so that 64 MiB never sit in memory at once.
     */
    static final class BulkSource {
        private static final int CHUNK = 256 << 10;
        private final Random random;
        private final MessageDigest md;
        private final byte[] chunk = new byte[CHUNK];
        private long left;

        BulkSource(long seed, long total) throws Exception {
            random = new Random(seed);
            md = MessageDigest.getInstance("SHA-256");
            left = total;
        }

        private int next() {
            int n = (int) Math.min(CHUNK, left);
            random.nextBytes(chunk);
            md.update(chunk, 0, n);
            left -= n;
            return n;
        }

        /** Tops the bufferevent's output up to 4 MiB. */
        void refill(Bufferevent b) {
            while (left > 0 && b.getOutput().getLength() < (4 << 20)) {
                b.write(chunk, 0, next());
            }
        }

        void writeAll(OutputStream o) throws IOException {
            while (left > 0) {
                o.write(chunk, 0, next());
            }
        }

        /** The hash of everything produced; call once all of it was. */
        byte[] digest() {
            assertEquals(0, left, "the source was not used up");
            return md.digest();
        }
    }

    private static byte[] sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return md.digest();
    }

    static final class ServerConn {
        SslBufferevent bev;
        final MessageDigest md;
        long count;
        final StringBuilder text = new StringBuilder();
        final List<String> events = new ArrayList<>();
        String reason;

        ServerConn() throws Exception {
            md = MessageDigest.getInstance("SHA-256");
        }
    }

    // ------------------------------------------------------------------ our client -> s_server

    /**
     * A 64 MiB transfer from our client to s_server checked by hash, produced as the output
     * drains (the write callback below the low watermark); then our shutdown(bounded):
     * close_notify to the peer, whose answer gives EOF (not TIMEOUT).
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"CONSCRYPT,TLSv1.3", "CONSCRYPT,TLSv1.2", "JDK,TLSv1.3", "JDK,TLSv1.2", "TCNATIVE,TLSv1.3",
        "TCNATIVE,TLSv1.2"})
    void bulkToSServerThenCloseNotify(SslProvider impl, String protocol) throws Exception {
        int port = freePort();
        Path out = dir.resolve("s_server-" + impl + protocol + ".out");
        Process srv = start(out, "openssl", "s_server", "-accept", "127.0.0.1:" + port, "-cert", certPem.toString(),
                "-key", keyPem.toString(), flag(protocol), "-quiet", "-naccept", "1");
        awaitListening(port, srv);
        BulkSource data = new BulkSource(11, BULK_BYTES);
        SslBufferevent c = SslBufferevent.socket(base, null, clientEngine(impl, protocol, port), SslState.CONNECTING, 0);
        List<String> events = new ArrayList<>();
        c.setCallbacks(null, b -> data.refill(b), (b, what) -> events.add(TlsHarness.ev(what)));
        c.setWatermark(EV_WRITE, 1 << 20, 0);
        c.enable(EV_READ | EV_WRITE);
        c.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        data.refill(c);
        TlsHarness.runUntil(base, () -> {
            try {
                return Files.size(out) >= BULK_BYTES || events.stream().anyMatch(e -> !e.equals("CONNECTED"));
            } catch (IOException e) {
                return false;
            }
        }, Duration.ofSeconds(90));
        assertEquals(List.of("CONNECTED"), events, () -> "errors " + c.getSslErrors());
        assertEquals(BULK_BYTES, Files.size(out), "bytes s_server printed");
        assertArrayEquals(data.digest(), sha256(out), "the bytes s_server printed");
        Files.delete(out);
        c.shutdown(Duration.ofSeconds(5));
        TlsHarness.runUntil(base, () -> events.size() >= 2, Duration.ofSeconds(20));
        assertEquals(List.of("CONNECTED", "EOF"), events, () -> "errors " + c.getSslErrors());
        assertEquals(List.of(), c.getSslErrors());
        c.free();
    }

    // ------------------------------------------------------------------ s_client -> our server

    /** A 64 MiB transfer from s_client (stdin from a file) to our server, hashed; then s_client is killed: ERROR. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"CONSCRYPT,TLSv1.3", "CONSCRYPT,TLSv1.2", "JDK,TLSv1.3", "JDK,TLSv1.2", "TCNATIVE,TLSv1.3"})
    void bulkFromSClientThenTruncation(SslProvider impl, String protocol) throws Exception {
        ServerConn conn = new ServerConn();
        int port = ourServer(impl, protocol, conn);
        Path in = dir.resolve("bulk-" + impl + protocol + ".bin");
        BulkSource data = new BulkSource(12, BULK_BYTES);
        try (OutputStream o = Files.newOutputStream(in)) {
            data.writeAll(o);
        }
        ProcessBuilder pb = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + port, flag(protocol),
                "-quiet"); // -quiet implies -ign_eof: stays connected after stdin's end
        pb.redirectInput(in.toFile());
        pb.redirectOutput(dir.resolve("s_client-bulk.out").toFile());
        pb.redirectError(dir.resolve("s_client-bulk.err").toFile());
        Process cli = pb.start();
        processes.add(cli);
        TlsHarness.runUntil(base, () -> conn.count >= BULK_BYTES || conn.events.size() > 1, Duration.ofSeconds(90));
        assertEquals(List.of("CONNECTED"), conn.events, () -> conn.reason);
        assertEquals(BULK_BYTES, conn.count);
        assertArrayEquals(data.digest(), conn.md.digest());
        cli.destroyForcibly(); // SIGKILL: the socket closes without close_notify
        assertTrue(cli.waitFor(10, TimeUnit.SECONDS));
        TlsHarness.runUntil(base, () -> conn.events.size() > 1, Duration.ofSeconds(20));
        assertEquals(List.of("CONNECTED", "READING|ERROR"), conn.events);
        assertTrue(conn.reason.contains("close_notify") || conn.reason.toLowerCase().contains("reset"), conn.reason);
        conn.bev.free();
        Files.delete(in);
    }

    /** s_client's Q: close_notify from the peer gives READING|EOF on our server. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"CONSCRYPT,TLSv1.3", "CONSCRYPT,TLSv1.2", "JDK,TLSv1.3", "JDK,TLSv1.2", "TCNATIVE,TLSv1.2"})
    void peerCloseNotifyGivesEof(SslProvider impl, String protocol) throws Exception {
        ServerConn conn = new ServerConn();
        int port = ourServer(impl, protocol, conn);
        Process cli = start(dir.resolve("s_client-q.out"), "openssl", "s_client", "-connect", "127.0.0.1:" + port,
                flag(protocol));
        TlsHarness.runUntil(base, () -> !conn.events.isEmpty(), Duration.ofSeconds(20));
        send(cli, "hello\n");
        TlsHarness.runUntil(base, () -> conn.text.toString().contains("hello\n"), Duration.ofSeconds(20));
        send(cli, "Q\n");
        TlsHarness.runUntil(base, () -> conn.events.size() > 1, Duration.ofSeconds(20));
        assertEquals(List.of("CONNECTED", "READING|EOF"), conn.events, () -> conn.reason);
        assertTrue(cli.waitFor(10, TimeUnit.SECONDS), "s_client ends after Q");
        conn.bev.free();
    }

    /**
     * Peer-initiated handshakes inside the data flow: s_client's R (TLS 1.2 renegotiation, which
     * the server allows within a limit) and K (TLS 1.3 key update) against our server; data still
     * arrives, no event but CONNECTED.
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource({"JDK,TLSv1.2,R", "JDK,TLSv1.3,K", "CONSCRYPT,TLSv1.3,K", "TCNATIVE,TLSv1.3,K"})
    void sClientRenegotiatesOrUpdatesKeys(SslProvider impl, String protocol, String cmd) throws Exception {
        ServerConn conn = new ServerConn();
        int port = ourServer(impl, protocol, conn, b -> b.setRenegotiationLimit(1, Duration.ofMinutes(10)));
        Path out = dir.resolve("s_client-" + cmd + ".out");
        Process cli = start(out, "openssl", "s_client", "-connect", "127.0.0.1:" + port, flag(protocol));
        TlsHarness.runUntil(base, () -> !conn.events.isEmpty(), Duration.ofSeconds(20));
        send(cli, "before\n");
        TlsHarness.runUntil(base, () -> conn.text.toString().contains("before\n"), Duration.ofSeconds(20));
        send(cli, cmd + "\n");
        awaitTool(out, cmd.equals("R") ? "RENEGOTIATING" : "KEYUPDATE", 1, () -> conn.events.size() > 1);
        send(cli, "after\n");
        TlsHarness.runUntil(base, () -> conn.text.toString().contains("after\n") || conn.events.size() > 1,
                Duration.ofSeconds(20));
        conn.bev.write("reply\n".getBytes(StandardCharsets.US_ASCII));
        TlsHarness.runUntil(base, () -> {
            try {
                return text(out).contains("reply") || conn.events.size() > 1;
            } catch (IOException e) {
                return false;
            }
        }, Duration.ofSeconds(20));
        assertEquals(List.of("CONNECTED"), conn.events, () -> conn.reason);
        assertTrue(conn.text.toString().contains("after\n"), conn.text::toString);
        String o = text(out) + text(dir.resolve(out.getFileName() + ".err"));
        assertTrue(o.contains("reply"), o);
        if (cmd.equals("R")) {
            assertTrue(o.contains("RENEGOTIATING"), o);
            assertEquals(1, conn.bev.getPeerRenegotiations());
        } else {
            assertTrue(o.contains("KEYUPDATE"), o);
            assertEquals(impl == SslProvider.JDK ? 1 : 0, conn.bev.getPeerKeyUpdates(), "Conscrypt's are not seen");
        }
        conn.bev.free();
    }

    /**
     * s_client -tls1_2's R against our server with the default limit: refused on every provider,
     * ERROR with RENEGOTIATION_REFUSED here, and s_client told by the alert (the JDK provider's
     * handshake_failure, 40; BoringSSL's no_renegotiation, 100, from Conscrypt and netty-tcnative), after which it ends.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"JDK,TLSv1.2", "CONSCRYPT,TLSv1.2", "TCNATIVE,TLSv1.2"})
    void sClientRenegotiationIsRefusedByDefault(SslProvider impl, String protocol) throws Exception {
        ServerConn conn = new ServerConn();
        int port = ourServer(impl, protocol, conn);
        Path out = dir.resolve("s_client-R-refused-" + impl + ".out");
        Process cli = start(out, "openssl", "s_client", "-connect", "127.0.0.1:" + port, flag(protocol));
        TlsHarness.runUntil(base, () -> !conn.events.isEmpty(), Duration.ofSeconds(20));
        send(cli, "R\n");
        TlsHarness.runUntil(base, () -> conn.events.size() > 1, Duration.ofSeconds(20));
        // Every provider reports it from the read that saw the peer's ClientHello (PeerHandshakes).
        assertEquals(List.of("CONNECTED", "READING|ERROR"), conn.events);
        assertEquals(org.jevent.bufferevent.EndReason.RENEGOTIATION_REFUSED, conn.bev.getEndReason());
        assertTrue(conn.reason.contains("client-initiated renegotiation refused"), conn.reason);
        assertEquals(1, conn.bev.getPeerRenegotiations());
        conn.bev.free();
        assertTrue(cli.waitFor(10, TimeUnit.SECONDS), "s_client ends after the refusal");
        String o = text(out) + text(dir.resolve(out.getFileName() + ".err"));
        String alert = impl == SslProvider.JDK ? "SSL alert number 40" : "SSL alert number 100";
        assertTrue(o.contains(alert), o);
        System.out.println(impl + " server, s_client R: " + conn.reason + " / s_client: "
                + o.lines().filter(l -> l.contains("alert")).toList());
    }

    /**
     * s_client's K (a key update asking for ours) against a JDK server limited to two: two are
     * answered and data flows, the third ends the session with KEY_UPDATE_LIMIT and our
     * close_notify, and s_client ends.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"JDK,TLSv1.3"})
    void sClientKeyUpdatesOverTheLimitEndTheSession(SslProvider impl, String protocol) throws Exception {
        ServerConn conn = new ServerConn();
        int port = ourServer(impl, protocol, conn, b -> b.setKeyUpdateLimit(2, Duration.ofMinutes(10)));
        Path out = dir.resolve("s_client-K-limit.out");
        Process cli = start(out, "openssl", "s_client", "-connect", "127.0.0.1:" + port, flag(protocol));
        TlsHarness.runUntil(base, () -> !conn.events.isEmpty(), Duration.ofSeconds(20));
        for (int i = 1; i <= 3 && conn.events.size() == 1; i++) {
            send(cli, "K\n");
            awaitTool(out, "KEYUPDATE", i, () -> conn.events.size() > 1);
            String line = "after" + i + "\n";
            send(cli, line);
            TlsHarness.runUntil(base, () -> conn.text.toString().contains(line) || conn.events.size() > 1,
                    Duration.ofSeconds(20));
        }
        assertEquals(List.of("CONNECTED", "READING|ERROR"), conn.events);
        assertEquals(org.jevent.bufferevent.EndReason.KEY_UPDATE_LIMIT, conn.bev.getEndReason());
        assertEquals(3, conn.bev.getPeerKeyUpdates());
        assertTrue(conn.text.toString().contains("after2\n"), conn.text::toString);
        conn.bev.free();
        assertTrue(cli.waitFor(10, TimeUnit.SECONDS), "s_client ends after our close_notify");
        System.out.println("JDK server, s_client K x3: " + conn.reason);
    }

    /**
     * s_server's r (HelloRequest, TLS 1.2; -client_renegotiation not needed for this direction)
     * and K (key update with update_requested, TLS 1.3) to our client: data still flows.
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource({"JDK,TLSv1.2,r", "CONSCRYPT,TLSv1.2,r", "TCNATIVE,TLSv1.2,r", "JDK,TLSv1.3,K", "CONSCRYPT,TLSv1.3,K",
        "TCNATIVE,TLSv1.3,K"})
    void sServerRenegotiatesOrUpdatesKeys(SslProvider impl, String protocol, String cmd) throws Exception {
        int port = freePort();
        Path out = dir.resolve("s_server-" + cmd + impl + ".out");
        // Line-buffered, so that what s_server prints as it acts on a command is seen at once
        // (to a file, its stdout is otherwise flushed only now and then).
        Process srv = start(out, "stdbuf", "-oL", "openssl", "s_server", "-accept", "127.0.0.1:" + port, "-cert",
                certPem.toString(), "-key", keyPem.toString(), flag(protocol), "-naccept", "1");
        awaitListening(port, srv);
        SslBufferevent c = SslBufferevent.socket(base, null, clientEngine(impl, protocol, port), SslState.CONNECTING, 0);
        List<String> events = new ArrayList<>();
        StringBuilder got = new StringBuilder();
        c.setCallbacks(b -> {
            byte[] a = new byte[(int) b.getInput().getLength()];
            b.read(a);
            got.append(new String(a, StandardCharsets.ISO_8859_1));
        }, null, (b, what) -> events.add(TlsHarness.ev(what)));
        c.enable(EV_READ | EV_WRITE);
        c.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        c.write("before\n".getBytes(StandardCharsets.US_ASCII));
        TlsHarness.runUntil(base, () -> contains(out, "before\n") || events.size() > 1, Duration.ofSeconds(20));
        send(srv, cmd + "\n");
        // s_server takes a command only from a read of at most 2 bytes; and BoringSSL refuses
        // application data interleaved with a renegotiation: let the handshake finish first.
        awaitTool(out, "SSL_do_handshake -> 1", 1, () -> events.size() > 1);
        if (cmd.equals("r")) {
            TlsHarness.runUntil(base, () -> (c.getPeerRenegotiations() == 1 && !c.isHandshaking())
                    || events.size() > 1, Duration.ofSeconds(20));
        }
        send(srv, "fromserver\n");
        TlsHarness.runUntil(base, () -> got.toString().contains("fromserver") || events.size() > 1,
                Duration.ofSeconds(20));
        c.write("after\n".getBytes(StandardCharsets.US_ASCII));
        TlsHarness.runUntil(base, () -> contains(out, "after\n") || events.size() > 1, Duration.ofSeconds(20));
        assertEquals(List.of("CONNECTED"), events, () -> "errors " + c.getSslErrors());
        assertTrue(got.toString().contains("fromserver"), got::toString);
        assertTrue(contains(out, "after\n"), () -> safeText(out));
        assertEquals(List.of(), c.getSslErrors());
        System.out.println("s_server " + cmd + " " + impl + " " + protocol + ": "
                + (safeText(out) + safeText(dir.resolve(out.getFileName() + ".err"))).lines().filter(l -> l.contains("renegot") || l.contains("KEYUPDATE")
                        || l.contains("SSL_do_handshake") || l.contains("SSL_renegotiate")).toList());
        c.free();
    }

    /**
     * Our client against s_server with a certificate it does not trust, and with a host name
     * the certificate does not match (endpoint identification on): ERROR with a readable reason.
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource({"CONSCRYPT,TLSv1.3,untrusted", "JDK,TLSv1.2,untrusted", "CONSCRYPT,TLSv1.2,hostname",
        "JDK,TLSv1.3,hostname", "TCNATIVE,TLSv1.3,untrusted", "TCNATIVE,TLSv1.2,hostname"})
    void badCertificateOrHostname(SslProvider impl, String protocol, String kind) throws Exception {
        int port = freePort();
        Process srv = start(dir.resolve("s_server-bad-" + kind + ".out"), "openssl", "s_server", "-accept",
                "127.0.0.1:" + port, "-cert", certPem.toString(), "-key", keyPem.toString(), flag(protocol),
                "-naccept", "1");
        awaitListening(port, srv);
        SSLEngine e;
        if (kind.equals("untrusted")) {
            e = TlsTestSupport.engine(impl, true, protocol); // trusts only the tests' own certificate
        } else {
            // The name checked is the engine's peer host: one the certificate does not name.
            e = clientEngine(impl, protocol, "wrong.example.test", port);
        }
        SslBufferevent c = SslBufferevent.socket(base, null, e, SslState.CONNECTING, 0);
        List<String> events = new ArrayList<>();
        c.setCallbacks(null, null, (b, what) -> events.add(TlsHarness.ev(what)));
        c.enable(EV_READ | EV_WRITE);
        c.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        TlsHarness.runUntil(base, () -> !events.isEmpty(), Duration.ofSeconds(20));
        assertEquals(1, events.size(), events::toString);
        assertTrue(events.get(0).contains("ERROR"), events::toString);
        SslError err = c.getSslError();
        String why = err.describe();
        System.out.println(impl + " " + protocol + " " + kind + ": " + why);
        assertTrue(why.toLowerCase().contains("cert") || why.toLowerCase().contains("path")
                || why.toLowerCase().contains("name") || why.toLowerCase().contains("trust"), why);
        c.free();
    }

    /**
     * s_client and s_server take a command only when it starts a read of their stdin, and drop
     * the rest of that read: the next line may go only once the tool has acted. Runs the loop
     * until the tool's output and error output ({@code out} and its {@code .err}) hold
     * {@code marker} {@code times} times (s_client prints RENEGOTIATING or KEYUPDATE as it acts;
     * s_server, line-buffered, "SSL_do_handshake -> 1" once it sent its request), or {@code ended} says the
     * connection ended.
     */
    private void awaitTool(Path out, String marker, int times, java.util.function.BooleanSupplier ended) {
        Path err = dir.resolve(out.getFileName() + ".err");
        TlsHarness.runUntil(base, () -> ended.getAsBoolean()
                || occurrences(safeText(out) + safeText(err), marker) >= times, Duration.ofSeconds(20));
    }

    private static int occurrences(String text, String s) {
        int n = 0;
        for (int i = text.indexOf(s); i >= 0; i = text.indexOf(s, i + s.length())) {
            n++;
        }
        return n;
    }

    private static boolean contains(Path p, String s) {
        return safeText(p).contains(s);
    }

    private static String safeText(Path p) {
        try {
            return text(p);
        } catch (IOException e) {
            return "";
        }
    }
}
