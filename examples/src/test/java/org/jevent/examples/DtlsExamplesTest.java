package org.jevent.examples;

import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_CONNECTED;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_EOF;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_READING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jevent.dtls.BcPskDtls;
import org.jevent.dtls.DtlsClient;
import org.jevent.dtls.DtlsSession;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * dtls-server and dtls-client, the ports of Qt's DTLS examples: both in this JVM over loopback
 * in PSK and certificate mode, their output (Qt's datagram block: peer, DTLS datagram in hex,
 * plain text; plain text when not a terminal, ANSI colour when asked), a wrong key or identity
 * beside a healthy server, close_notify to every peer on shutdown, SIGINT/SIGTERM on the
 * server as a child process, and {@code openssl s_client -dtls1_2 -psk} as a foreign client.
 * Waits are bounded by events (a line printed, a callback), with generous limits.
 */
class DtlsExamplesTest {
    private static final String ESC = "\u001b[";
    private static final Pattern ACK = Pattern.compile("to \\(127\\.0\\.0\\.1:(\\d+)\\): ACK");

    /** dtls-server on a thread of this JVM, its output captured; {@link #stop()} ends it as SIGINT would. */
    private static final class InProcessServer implements AutoCloseable {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final DtlsServerExample example = new DtlsServerExample(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        final AtomicInteger exit = new AtomicInteger(-1);
        final Thread thread;
        final int port;

        InProcessServer(String... args) throws InterruptedException {
            List<String> all = new ArrayList<>(List.of("--port", "0"));
            all.addAll(List.of(args));
            thread = new Thread(() -> exit.set(example.main(all.toArray(new String[0]))), "dtls-server-example");
            thread.setDaemon(true);
            thread.start();
            port = ChildProcess.portOf(await(l -> l.startsWith(ChildProcess.LISTENING)));
        }

        String output() {
            return bytes.toString(StandardCharsets.UTF_8);
        }

        /** Waits for a line matching {@code p}, for at most 30 s (a bound, not a speed check). */
        String await(Predicate<String> p) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                for (String l : output().split("\n")) {
                    if (p.test(l)) {
                        return l;
                    }
                }
                if (!thread.isAlive()) {
                    fail("dtls-server ended (" + exit.get() + "):\n" + output());
                }
                Thread.sleep(10);
            }
            throw new AssertionError("no such line from dtls-server; output:\n" + output());
        }

        int stop() throws InterruptedException {
            example.stop();
            thread.join(30_000);
            assertFalse(thread.isAlive(), "dtls-server did not stop; output:\n" + output());
            return exit.get();
        }

        @Override
        public void close() throws InterruptedException {
            if (thread.isAlive()) {
                stop();
            }
        }
    }

    private record Run(int rc, String out) {
    }

    /**
     * dtls-client in this JVM. Its own bounds are raised to 30 s unless {@code args} set them
     * (a later option wins), so that a loaded machine cannot fail a run that is only slow.
     */
    private static Run client(int port, String... args) {
        List<String> all = new ArrayList<>(List.of("dtls-client", "--port", Integer.toString(port), "--handshake-timeout",
                "30", "--ack-timeout", "30"));
        all.addAll(List.of(args));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int rc = Main.run(all.toArray(new String[0]), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return new Run(rc, bytes.toString(StandardCharsets.UTF_8));
    }

    /** The datagram blocks of an output: {title, hex, plain text} each. */
    private static List<String[]> datagramBlocks(String out) {
        List<String[]> blocks = new ArrayList<>();
        String[] lines = out.split("\n");
        for (int i = 0; i + 5 < lines.length; i++) {
            if (lines[i].equals("---------------")) {
                assertTrue(lines[i + 2].matches("DTLS datagram \\(\\d+ bytes\\):"), lines[i + 2]);
                assertEquals("as plain text:", lines[i + 4]);
                blocks.add(new String[] {lines[i + 1], lines[i + 3].substring(1), lines[i + 5].substring(1)});
            }
        }
        return blocks;
    }

    /**
     * The hex is a real DTLS 1.2 datagram: one application_data record (type 23, version fe fd,
     * epoch 1) whose length field covers the rest, longer than the plain text by its protection.
     */
    private static void assertApplicationRecord(String hex, String plain) {
        assertTrue(hex.matches("[0-9a-f]{2}( [0-9a-f]{2})+"), "hex with spaces, as Qt's toHex(' '): " + hex);
        byte[] d = HexFormat.ofDelimiter(" ").parseHex(hex);
        assertEquals(0x17, d[0] & 0xff, "application_data: " + hex);
        assertEquals(0xfe, d[1] & 0xff);
        assertEquals(0xfd, d[2] & 0xff);
        assertEquals(1, ((d[3] & 0xff) << 8) | (d[4] & 0xff), "epoch 1");
        int length = ((d[11] & 0xff) << 8) | (d[12] & 0xff);
        assertEquals(d.length - 13, length, "one record filling the datagram");
        assertTrue(length > plain.length(), "ciphertext longer than the plain text");
    }

    @Test
    @Timeout(90)
    void pskServerAndClientPrintEachDatagramAndTheAcks() throws Exception {
        try (InProcessServer server = new InProcessServer()) {
            Run c = client(server.port, "--count", "3", "--interval", "0.05");
            assertEquals(0, c.rc, c.out);
            Matcher ok = Pattern.compile("dtls-client: ok, 3 of 3 messages ACKed as 'to \\(127\\.0\\.0\\.1:(\\d+)\\): ACK'")
                    .matcher(c.out);
            assertTrue(ok.find(), c.out);
            String clientPort = ok.group(1);
            String peer = "(127.0.0.1:" + clientPort + ")";

            // The client shows each answer: the server's datagram and "to (its own address): ACK".
            List<String[]> answers = datagramBlocks(c.out);
            assertEquals(3, answers.size(), c.out);
            for (String[] b : answers) {
                assertEquals("Qt DTLS example client received a DTLS datagram from (127.0.0.1:" + server.port + ")", b[0]);
                assertEquals("to " + peer + ": ACK", b[2]);
                assertApplicationRecord(b[1], b[2]);
            }

            // The server shows each message: who from, the datagram, the text.
            server.await(l -> l.contains(peer + ": the peer closed the connection (close_notify)"));
            String s = server.output();
            List<String[]> messages = datagramBlocks(s);
            assertEquals(3, messages.size(), s);
            for (int i = 0; i < 3; i++) {
                assertEquals("message from " + peer, messages.get(i)[0]);
                assertEquals("I am Qt DTLS example client, message " + i + " of 3", messages.get(i)[2]);
                assertApplicationRecord(messages.get(i)[1], messages.get(i)[2]);
            }
            assertTrue(s.contains("info: " + peer + ": not verified yet, HelloVerifyRequest sent\n")
                    && s.indexOf(": not verified yet") < s.indexOf(": cookie verified"), s);
            assertTrue(s.contains("info: " + peer + ": cookie verified, handshake starts"), s);
            assertTrue(s.contains("info: PSK: client identity 'Qt DTLS example client', key given"), s);
            assertTrue(s.contains("identity hint \"Qt DTLS example server\""), s);

            // Not a terminal: plain text, each line marked by its kind.
            assertFalse(s.contains(ESC), s);
            assertFalse(c.out.contains(ESC), c.out);
            assertEquals(0, server.stop());
            assertTrue(server.output().contains("dtls-server: stopped"), server.output());
        }
    }

    @Test
    @Timeout(90)
    void certificateModeWithPemFilesAndWithAGeneratedCertificate(@TempDir Path dir) throws Exception {
        Path[] cert = OpenSslPeer.writeCertificate(dir, "dtls");
        try (InProcessServer server = new InProcessServer("--cert", cert[0].toString(), "--key", cert[1].toString())) {
            Run c = client(server.port, "--cert-mode", "--cafile", cert[0].toString(), "--count", "2", "--interval", "0");
            assertEquals(0, c.rc, c.out);
            assertTrue(c.out.contains("encrypted connection established, TLS_ECDHE_ECDSA_"), c.out);
            assertEquals(2, datagramBlocks(c.out).size(), c.out);
            // A client that trusts another certificate fails, and says so; the server goes on.
            Path[] other = OpenSslPeer.writeCertificate(dir, "other");
            Run distrust = client(server.port, "--cert-mode", "--cafile", other[0].toString(), "--count", "1",
                    "--handshake-timeout", "5");
            assertEquals(1, distrust.rc, distrust.out);
            assertTrue(distrust.out.contains("error: dtls-client: FAILED: handshake error - "), distrust.out);
            assertEquals(0, client(server.port, "--cert-mode", "--cafile", cert[0].toString(), "--count", "1").rc);
            assertEquals(0, server.stop());
        }
        try (InProcessServer server = new InProcessServer("--cert-mode")) {
            assertTrue(server.output().contains("a generated self-signed certificate"), server.output());
            Run c = client(server.port, "--cert-mode", "--insecure", "--count", "2", "--interval", "0.01");
            assertEquals(0, c.rc, c.out);
            assertEquals(0, server.stop());
        }
    }

    @Test
    @Timeout(90)
    void aWrongKeyOrIdentityFailsClearlyAndTheServerGoesOn() throws Exception {
        try (InProcessServer server = new InProcessServer("--handshake-timeout", "4", "--psk-identity",
                DtlsSupport.QT_CLIENT_IDENTITY)) {
            // A wrong key: DTLS drops the Finished it cannot authenticate, so the client's handshake times out.
            Run wrongKey = client(server.port, "--psk", "0badc0ffee", "--handshake-timeout", "2", "--count", "1");
            assertEquals(1, wrongKey.rc, wrongKey.out);
            assertTrue(wrongKey.out.contains("error: dtls-client: FAILED: handshake timeout - "), wrongKey.out);
            assertTrue(wrongKey.out.contains("wrong pre-shared key"), wrongKey.out);
            assertFalse(wrongKey.out.contains("dtls-client: ok"), wrongKey.out);

            // An identity the server does not know: refused with an alert, reported at once.
            Run stranger = client(server.port, "--identity", "stranger", "--count", "1");
            assertEquals(1, stranger.rc, stranger.out);
            assertTrue(stranger.out.contains("FAILED: handshake error - ") && stranger.out.contains("unknown_psk_identity"),
                    stranger.out);
            server.await(l -> l.equals("warning: PSK: client identity 'stranger' unknown, refused"));

            // The server still serves the right key, and drops the wrong-key peer after its handshake timeout.
            Run good = client(server.port, "--count", "2", "--interval", "0.01");
            assertEquals(0, good.rc, good.out);
            server.await(l -> l.startsWith("warning: (127.0.0.1:") && l.contains("the handshake did not complete in time"));
            assertEquals(0, server.stop());
        }
    }

    @Test
    @Timeout(60)
    void colourWhenAskedPlainWhenNotAndUsageErrors() throws Exception {
        try (InProcessServer server = new InProcessServer("--color", "always")) {
            Run c = client(server.port, "--count", "1", "--color", "always");
            assertEquals(0, c.rc, c.out);
            assertTrue(c.out.contains(ESC + "34minfo: "), c.out);
            assertTrue(c.out.contains(ESC + "35m---------------"), c.out);
            Run never = client(server.port, "--count", "1", "--color", "never");
            assertEquals(0, never.rc, never.out);
            assertFalse(never.out.contains(ESC), never.out);
            server.await(l -> l.startsWith(ESC + "34minfo: ") && l.contains("cookie verified"));
            assertEquals(0, server.stop());
        }
        Run bad = client(1, "--color", "sometimes");
        assertEquals(2, bad.rc, bad.out);
        assertTrue(bad.out.contains("--color wants auto, always or never"), bad.out);
        assertEquals(2, client(1, "--cert-mode").rc);
        assertEquals(2, client(1, "--psk", "xyz").rc);
        assertEquals(2, client(1, "--count", "0").rc);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        assertEquals(2, Main.run(new String[] {"dtls-server", "--cert", "x.pem"}, new PrintStream(bytes, true,
                StandardCharsets.UTF_8)), bytes.toString(StandardCharsets.UTF_8));
    }

    /** A peer's text cannot drive the terminal; IPv6 peers are named as Qt names them. */
    @Test
    void networkTextIsEscapedAndIpv6AddressesCompressed() throws Exception {
        assertEquals("a\\x1b[31mb\\x0a", ColorLog.printable("a\u001b[31mb\n".getBytes(StandardCharsets.ISO_8859_1)));
        assertEquals("::1", DtlsSupport.addressText(InetAddress.getByName("::1")));
        assertEquals("2001:db8::1", DtlsSupport.addressText(InetAddress.getByName("2001:db8:0:0:0:0:0:1")));
        assertEquals("2001:db8:0:1::", DtlsSupport.addressText(InetAddress.getByName("2001:db8:0:1:0:0:0:0")));
        assertEquals("1:0:2::3", DtlsSupport.addressText(InetAddress.getByName("1:0:2:0:0:0:0:3")));
        assertEquals("to (10.0.0.2:5684): ACK", DtlsSupport.ackFor(new InetSocketAddress("10.0.0.2", 5684)));
    }

    /** Qt's shutdown(): every established peer gets close_notify before the socket closes. */
    @Test
    @Timeout(60)
    void shutdownSendsCloseNotifyToEveryPeer() throws Exception {
        try (InProcessServer server = new InProcessServer()) {
            EventBase base = new EventBase();
            BcPskDtls psk = BcPskDtls.client(DtlsSupport.QT_CLIENT_IDENTITY, BcPskDtls.qtExampleKey()).build();
            AtomicInteger connected = new AtomicInteger();
            AtomicReference<String> ended = new AtomicReference<>();
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port);
            DtlsSession.EventCb events = (s, what) -> {
                if ((what & BEV_EVENT_CONNECTED) != 0) {
                    if (connected.incrementAndGet() == 2) {
                        // Both established here; once the server says so too (its side may finish
                        // later), it shuts down. Waiting must not hold this loop: a helper thread waits.
                        Thread stopper = new Thread(() -> {
                            try {
                                server.await(l -> server.output().split(": encrypted, DTLS 1.2", -1).length == 3);
                                server.example.stop();
                            } catch (InterruptedException | AssertionError e) {
                                base.loopExit();
                            }
                        }, "stopper");
                        stopper.setDaemon(true);
                        stopper.start();
                    }
                    return;
                }
                ended.compareAndSet(null, "0x" + Integer.toHexString(what));
                if (what == (BEV_EVENT_READING | BEV_EVENT_EOF)) {
                    if (connected.decrementAndGet() == 0) {
                        base.loopExit();
                    }
                } else {
                    base.loopExit();
                }
            };
            DtlsSession a = DtlsClient.connect(base, address, psk, null, events);
            DtlsSession b = DtlsClient.connect(base, address, psk, null, events);
            Event bound = Event.timer(base, (ev, what) -> base.loopExit());
            bound.add(Duration.ofSeconds(40));
            base.dispatch();
            bound.free();
            assertTrue(a.isFinished() && b.isFinished(), "both sessions ended by the server's close_notify; first end "
                    + ended.get() + "\n" + server.output());
            assertEquals(0, connected.get(), "each saw BEV_EVENT_READING|EOF (close_notify); first end " + ended.get());
            a.free();
            b.free();
            psk.close();
            base.free();
            server.thread.join(30_000);
            assertEquals(0, server.exit.get(), server.output());
            assertTrue(server.output().contains("sending close_notify to 2 peer(s), then closing the socket"),
                    server.output());
        }
    }

    /**
     * A library client (PSK, Qt's identity and key) that connects and says nothing; {@code
     * whenConnected} runs in its CONNECTED callback. Runs its own loop until the session ends
     * (or 60 s pass); returns the event that ended it, 0 if none did.
     */
    private static int silentClient(int port, Consumer<DtlsSession> whenConnected) throws Exception {
        EventBase base = new EventBase();
        BcPskDtls psk = BcPskDtls.client(DtlsSupport.QT_CLIENT_IDENTITY, BcPskDtls.qtExampleKey()).build();
        AtomicInteger end = new AtomicInteger();
        DtlsSession session = DtlsClient.connect(base, new InetSocketAddress("127.0.0.1", port), psk, null, (s, what) -> {
            if ((what & BEV_EVENT_CONNECTED) != 0) {
                whenConnected.accept(s);
                return;
            }
            end.set(what);
            base.loopExit();
        });
        Event bound = Event.timer(base, (ev, what) -> base.loopExit());
        bound.add(Duration.ofSeconds(60));
        base.dispatch();
        bound.free();
        session.free();
        psk.close();
        base.free();
        return end.get();
    }

    /** At --max-sessions a new peer is not served (its handshake times out) until a session ends. */
    @Test
    @Timeout(90)
    void sessionLimit() throws Exception {
        try (InProcessServer server = new InProcessServer("--max-sessions", "1")) {
            AtomicReference<Run> refused = new AtomicReference<>();
            silentClient(server.port, s -> {
                // Established: the only session the server may hold; a second client gets no answer.
                refused.set(client(server.port, "--count", "1", "--handshake-timeout", "1"));
                s.shutdown();
                s.getBase().loopExit();
            });
            Run r = refused.get();
            assertEquals(1, r.rc, r.out);
            assertTrue(r.out.contains("FAILED: handshake timeout - "), r.out);
            // The server tells the refused peer (by the address the client printed as its own).
            Matcher from = Pattern.compile(
                    "started a handshake with \\(127\\.0\\.0\\.1:\\d+\\) from (\\(127\\.0\\.0\\.1:\\d+\\))").matcher(r.out);
            assertTrue(from.find(), r.out);
            String refusedPeer = from.group(1);
            server.await(l -> l.equals("warning: " + refusedPeer + ": refused, 1 sessions already (--max-sessions)"));
            server.await(l -> l.endsWith(": the peer closed the connection (close_notify)"));
            Run c = client(server.port, "--count", "1"); // the slot is free again
            assertEquals(0, c.rc, c.out);
            assertEquals(0, server.stop());
        }
    }

    /** --idle-timeout: a silent peer is closed with close_notify. */
    @Test
    @Timeout(90)
    void idleTimeoutClosesASilentPeerWithCloseNotify() throws Exception {
        try (InProcessServer server = new InProcessServer("--idle-timeout", "1")) {
            assertEquals(BEV_EVENT_READING | BEV_EVENT_EOF, silentClient(server.port, s -> { }),
                    "the silent client saw the server's close_notify\n" + server.output());
            server.await(l -> l.endsWith(": silent for the idle timeout, closed with close_notify"));
            assertEquals(0, server.stop());
        }
    }

    /** Ctrl-C on the real program: SIGINT (or SIGTERM where SIGINT cannot reach a child) ends it with status 0. */
    @Test
    @Timeout(90)
    void signalStopsTheServerProcessCleanly() throws Exception {
        String signal = Child.sigintDeliverable() ? "INT" : "TERM";
        try (Child server = Child.start("dtls-server", "--port", "0")) {
            int port = server.awaitListeningPort();
            Run c = client(port, "--count", "2", "--interval", "0.01");
            assertEquals(0, c.rc, c.out);
            server.await(l -> l.contains("the peer closed the connection (close_notify)"), 20_000);
            server.signal(signal);
            assertEquals(0, server.awaitExit(20_000), server.output());
            assertTrue(server.output().contains("info: SIG" + signal + ": shutting down"), server.output());
            assertTrue(server.output().contains("dtls-server: stopped"), server.output());
        }
    }

    /** openssl s_client -dtls1_2 -psk against dtls-server: it gets Qt's hint and "to PEER: ACK". */
    @Test
    @Timeout(90)
    void opensslPskClientGetsTheAck() throws Exception {
        OpenSslPeer.require();
        try (InProcessServer server = new InProcessServer()) {
            Process p = new ProcessBuilder("openssl", "s_client", "-dtls1_2", "-connect", "127.0.0.1:" + server.port,
                    "-psk", DtlsSupport.QT_KEY_HEX, "-psk_identity", DtlsSupport.QT_CLIENT_IDENTITY, "-ign_eof")
                    .redirectErrorStream(true).start();
            StringBuffer got = new StringBuffer();
            Thread reader = new Thread(() -> {
                byte[] buf = new byte[4096];
                try {
                    int n;
                    while ((n = p.getInputStream().read(buf)) > 0) {
                        got.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                    }
                } catch (IOException ignored) {
                    // killed
                }
            }, "s_client-output");
            reader.setDaemon(true);
            reader.start();
            try {
                awaitText(got, "PSK identity hint: Qt DTLS example server");
                awaitText(got, "Cipher is");
                OutputStream in = p.getOutputStream();
                in.write("hello from openssl\n".getBytes(StandardCharsets.US_ASCII));
                in.flush();
                awaitText(got, ": ACK");
                Matcher m = ACK.matcher(got);
                assertTrue(m.find(), got.toString());
                String peer = "(127.0.0.1:" + m.group(1) + ")";
                server.await(l -> l.equals("message from " + peer));
                List<String[]> blocks = datagramBlocks(server.output());
                assertEquals(1, blocks.size(), server.output());
                assertEquals("hello from openssl\\x0a", blocks.get(0)[2]);
                assertApplicationRecord(blocks.get(0)[1], blocks.get(0)[2]);
            } finally {
                new ProcessBuilder("kill", "-KILL", Long.toString(p.pid())).start().waitFor(5, TimeUnit.SECONDS);
                p.waitFor(5, TimeUnit.SECONDS);
                reader.join(5_000);
            }
            assertFalse(p.isAlive(), "s_client still alive");
            assertEquals(0, server.stop());
        }
    }

    /** Waits, at most 30 s, for {@code text} in what a process printed. */
    private static void awaitText(StringBuffer got, String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (got.indexOf(text) < 0) {
            if (System.nanoTime() > deadline) {
                fail("no '" + text + "' within 30 s; got:\n" + got);
            }
            Thread.sleep(10);
        }
    }
}
