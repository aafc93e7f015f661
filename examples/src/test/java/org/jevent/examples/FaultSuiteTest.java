package org.jevent.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fault suite of issue 11: the example servers run as child JVMs and are attacked as a
 * hostile client would, while a {@link VerifyingClient} keeps talking to them. They are judged
 * from outside, as an operator would: the child's resident memory, open descriptors and CPU time
 * ({@link ProcStats}, from {@code /proc}), and whether the good client is still served.
 *
 * <p>The short version runs in {@code mvn verify} (about a minute on 2 cores). The long one,
 * {@code mvn -B -ntp verify -pl examples -am -P faults -Dtest=FaultSuiteTest
 * -Dsurefire.failIfNoSpecifiedTests=false}, has more and bigger attacks, both TLS providers
 * everywhere, and floods of thousands of connections. {@link FaultProbe} runs the same attacks
 * against a server started by hand (how the figures of an older build were taken).
 *
 * <p>Every wait is bounded by an event (a line, a counter reaching a value, a close) or a
 * deadline; the one fixed wait is the window in which the CPU of an overloaded server is
 * measured, which is what that test is about.
 */
class FaultSuiteTest {
    /** Set by the {@code faults} profile. */
    static final boolean LONG = Boolean.getBoolean("jevent.faults.long");

    /**
     * The children's JVM: a fixed heap, touched at start, so that growth in RSS is what
     * connections cost outside the heap (direct segments, engines' native state) and not the heap
     * being paged in; the client compiler only, so that compiler threads take less of the two
     * cores from the attack and the server; room for direct memory well above what any check allows.
     */
    static final List<String> JVM = List.of("-Xms64m", "-Xmx64m", "-XX:+UseSerialGC", "-XX:+AlwaysPreTouch",
            "-XX:TieredStopAtLevel=1", "-XX:MaxDirectMemorySize=512m");
    /** For floods: one line per connection would be most of the output; refusals (WARN) still show. */
    static final List<String> QUIET = List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");

    /** echo-server's default --high-water. */
    static final long HIGH_WATER = EchoServer.DEFAULT_HIGH_WATER;

    /** An example server as a child JVM, with its port and what /proc says about it. */
    private record Server(Child child, int port, ProcStats stats) implements AutoCloseable {
        static Server start(List<String> extraJvm, String... args) throws Exception {
            return started(Child.start(jvm(extraJvm), args));
        }

        static Server startWithFdLimit(int limit, List<String> extraJvm, String... args) throws Exception {
            return started(Child.startWithFdLimit(limit, jvm(extraJvm), args));
        }

        private static Server started(Child c) throws Exception {
            try {
                int port = c.awaitListeningPort();
                return new Server(c, port, new ProcStats(c.pid()));
            } catch (Exception | AssertionError e) {
                c.close();
                throw e;
            }
        }

        private static List<String> jvm(List<String> extra) {
            List<String> all = new ArrayList<>(JVM);
            all.addAll(extra);
            return all;
        }

        @Override
        public void close() throws InterruptedException {
            if (!child.process.isAlive()) {
                // Died under attack: what it said is the diagnosis.
                System.out.println("fault suite: the server exited early with status " + child.process.exitValue()
                        + "; its output:\n" + child.output());
            }
            child.close();
        }
    }

    private static String[] args(String... a) {
        return a;
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    // ------------------------------------------------------------------ memory per stalled client

    /**
     * Clients that write and never read, a first group and then more: the server stops reading
     * each at its high watermark, so the marginal RSS per connection is the watermark plus a
     * bounded rest (the target: at most 1 MiB more in plaintext, 2 MiB with TLS); before
     * issue 11 each held everything it was sent (64 MiB here). While they are stalled the good
     * client is served, and once they are gone the descriptors are back where they were.
     */
    private static FaultChecks.StalledResult stalled(Server s, SSLContext tls, long allowedBeyondWatermark)
            throws Exception {
        int first = LONG ? 8 : 4;
        int more = LONG ? 64 : 16;
        try (VerifyingClient good = new VerifyingClient(s.port(), tls).start()) {
            good.awaitServed(20, 30_000);
            good.pause();
            int fds = FaultChecks.settledFds(s.stats());
            good.resume();
            FaultChecks.StalledResult r = FaultChecks.stalledWriters(s.stats(), s.port(), tls, first, more, 64L << 20,
                    120_000, stalled -> good.awaitServed(20, 30_000));
            System.out.println("fault suite, stalled clients: " + r);
            assertTrue(r.written() < (long) (first + more) * (64L << 20), "the server stopped reading: " + r);
            assertTrue(r.perConnection() - HIGH_WATER <= allowedBeyondWatermark,
                    "at most " + (allowedBeyondWatermark >> 10) + " KiB beyond the " + (HIGH_WATER >> 10)
                            + " KiB watermark per stalled connection: " + r);
            good.pause();
            long after = ProcStats.awaitValue(s.stats()::fds, v -> v <= fds, 20_000);
            assertEquals(fds, after, "descriptors back after the stalled clients left: " + s.stats().describeFds());
            assertEquals(0, good.failureCount(), "the good client never failed: " + good.failures());
            return r;
        }
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void stalledPlaintextClientsCostTheirWatermarkAndLittleMore() throws Exception {
        try (Server s = Server.start(List.of(), "echo-server", "--port", "0")) {
            stalled(s, null, 1 << 20);
        }
    }

    /**
     * The TLS target: 2 MiB of RSS per stalled connection. With Conscrypt it holds because a busy
     * read of the transport stays in pooled segments ({@code ReadFromPoolTest}); before that fix
     * each 64 KiB read took direct memory outside the pool and RSS reached 3.2 MiB per connection.
     */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void stalledTlsClientsCostTheirWatermarkAndLittleMoreJdk() throws Exception {
        try (Server s = Server.start(List.of(), "echo-server", "--port", "0", "--tls", "--provider", "jdk")) {
            stalled(s, TlsStepper.insecureClient(), 2 << 20);
        }
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void stalledTlsClientsCostTheirWatermarkAndLittleMoreConscrypt() throws Exception {
        try (Server s = Server.start(List.of(), "echo-server", "--port", "0", "--tls")) {
            stalled(s, TlsStepper.insecureClient(), 2 << 20);
        }
    }

    // ------------------------------------------------------------------ descriptors after floods

    /**
     * Connections reset (or closed with a FIN) at every stage of the handshake, TLS 1.3 and 1.2,
     * and completed ones closed cleanly, in parallel, while the good client is served: afterwards
     * the server holds exactly the descriptors it held before (Conscrypt engines hold a pipe each
     * until their native state is freed, so a missed release shows as two descriptors).
     */
    @ParameterizedTest
    @ValueSource(strings = {"conscrypt", "jdk"})
    @Timeout(value = 900, unit = TimeUnit.SECONDS)
    void tlsFloodWithResetsAtEveryHandshakeStageLeavesNoDescriptor(String provider) throws Exception {
        try (Server s = Server.start(QUIET, "echo-server", "--port", "0", "--tls", "--provider", provider);
                VerifyingClient good = new VerifyingClient(s.port(), TlsStepper.insecureClient()).start()) {
            good.awaitServed(10, 30_000);
            FaultChecks.FloodResult r = FaultChecks.tlsFlood(s.stats(), s.port(), TlsStepper.insecureClient(),
                    LONG ? 2000 : 24, LONG ? 16 : 4, good, 15_000);
            System.out.println("fault suite, TLS flood (" + provider + "): " + r);
            assertEquals(r.baselineFds(), r.afterFds(), "descriptors back to where they were: " + r);
            good.awaitServed(5, 30_000);
            assertEquals(0, good.failureCount(), "the good client never failed: " + good.failures());
        }
    }

    /**
     * le-proxy speaking TLS to its upstream (-s -W) under a descriptor limit: when the upstream
     * engine cannot be made (Conscrypt needs a pipe), the accepted connection must be closed.
     * Before issue 11 it was left open, unread, for the life of the process (10 of 300 here).
     */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void leProxyUnderADescriptorLimitLeaksNoConnection() throws Exception {
        try (Server upstream = Server.start(QUIET, "echo-server", "--port", "0", "--tls");
                Server proxy = Server.startWithFdLimit(200, QUIET, "le-proxy", "-s", "-W", "127.0.0.1:0",
                        "127.0.0.1:" + upstream.port());
                VerifyingClient good = new VerifyingClient(proxy.port(), null).start()) {
            good.awaitServed(10, 30_000);
            FaultChecks.OverloadResult r = FaultChecks.fdOverload(proxy.stats(), proxy.port(), LONG ? 600 : 300, 1000,
                    good, 30_000, full -> proxy.child().await(FaultSuiteTest::atTheLimit, 20_000));
            System.out.println("fault suite, le-proxy -s -W under ulimit -n 200: " + r);
            assertTrue(r.recoveredMillis() >= 0, "served again after the flood: " + r);
            assertEquals(r.baselineFds(), r.afterFds(), "no connection left behind: " + r);
        }
    }

    // ------------------------------------------------------------------ handshake deadline

    /**
     * A ClientHello trickled a byte a second, and a record that announces more than ever comes:
     * each is cut at the handshake deadline (2 s here), not at the idle timeout (60 s here) that
     * used to bound it, and the server says why. Before issue 11 both were held for 300 s.
     */
    @ParameterizedTest
    @ValueSource(strings = {"conscrypt", "jdk"})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void handshakeDeadlineCutsTrickledAndTruncatedHandshakes(String provider) throws Exception {
        try (Server s = Server.start(List.of(), "echo-server", "--port", "0", "--tls", "--provider", provider,
                "--handshake-timeout", "2", "--timeout", "60");
                VerifyingClient good = new VerifyingClient(s.port(), TlsStepper.insecureClient()).start()) {
            good.awaitServed(5, 30_000);
            FaultChecks.DeadlineResult r = FaultChecks.handshakeDeadline(s.port(), 1000, 30_000);
            System.out.println("fault suite, handshake deadline 2 s (" + provider + "): " + r);
            for (long ms : new long[] {r.trickleMillis(), r.truncatedMillis()}) {
                assertTrue(ms >= 1500 && ms < 10_000, "cut at the 2 s deadline, not before, not at the idle timeout: " + r);
            }
            s.child().await(l -> s.child().count("ended: handshake timeout") >= 2, 5000);
            good.awaitServed(5, 30_000);
            assertEquals(0, good.failureCount(), "the good client never failed: " + good.failures());
        }
    }

    /** Many trickling clients at once: all cut at the deadline, and their descriptors with them. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void manyTricklersAreAllCutAndLeaveNoDescriptor() throws Exception {
        int n = LONG ? 150 : 20;
        try (Server s = Server.start(QUIET, "echo-server", "--port", "0", "--tls", "--handshake-timeout", "2")) {
            int fds = FaultChecks.settledFds(s.stats());
            byte[] hello = TlsStepper.clientHello(TlsStepper.insecureClient());
            List<SocketChannel> tricklers = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    SocketChannel ch = FaultClients.connect(s.port());
                    tricklers.add(ch);
                    FaultClients.writeAll(ch, java.nio.ByteBuffer.wrap(hello, 0, 1 + i % 20), 5000);
                }
                for (SocketChannel ch : tricklers) {
                    assertTrue(FaultClients.awaitClosed(ch, 10_000), "every trickler is cut at the deadline");
                }
                long after = ProcStats.awaitValue(s.stats()::fds, v -> v <= fds, 10_000);
                assertEquals(fds, after, "descriptors back: " + s.stats().describeFds());
            } finally {
                FaultClients.closeAll(tricklers);
            }
        }
    }

    /**
     * The set-up deadlines of the other servers, all at once: pg-tls-proxy's startup (a
     * StartupMessage trickled in plaintext, and a ClientHello trickled after SSLRequest),
     * le-proxy's upstream connect with TLS to an upstream that accepts and never answers, and a
     * TLS becat listener's handshake. Each is cut at its 2 s deadline, however the bytes come.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theOtherServersCutSlowSetUpsAtTheirDeadline() throws Exception {
        byte[] hello = TlsStepper.clientHello(TlsStepper.insecureClient());
        try (java.net.ServerSocket silentUpstream = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
                Server pg = Server.start(List.of(), "pg-tls-proxy", "--listen", "127.0.0.1:0", "--upstream",
                        "127.0.0.1:" + silentUpstream.getLocalPort(), "--startup-timeout", "2");
                Server leProxy = Server.start(List.of(), "le-proxy", "-s", "--connect-timeout", "2", "127.0.0.1:0",
                        "127.0.0.1:" + silentUpstream.getLocalPort());
                RawChild becat = RawChild.start(JVM, "becat", "-l", "-S", "-p", "0", "--handshake-timeout", "2")) {
            List<Socket> held = new ArrayList<>();
            Thread upstream = new Thread(() -> {
                try {
                    while (true) {
                        Socket s = silentUpstream.accept(); // accepts, and never says a word
                        synchronized (held) {
                            held.add(s);
                        }
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            }, "silent-upstream");
            upstream.setDaemon(true);
            upstream.start();
            int becatPort = becat.awaitListeningPort();
            long[] ms = new long[4];
            List<Thread> clients = List.of(
                    new Thread(() -> ms[0] = timed(() -> {
                        try (SocketChannel c = FaultClients.connect(pg.port())) {
                            return FaultClients.trickle(c, startupMessage(), 1000, 30_000);
                        }
                    })),
                    new Thread(() -> ms[1] = timed(() -> {
                        // Timed from the connect, as the proxy's deadline runs from the accept: the
                        // SSLRequest round trip before the trickle took 561 ms on a loaded machine.
                        long connectedAt = System.nanoTime();
                        try (SocketChannel c = FaultClients.connect(pg.port())) {
                            FaultClients.writeAll(c, java.nio.ByteBuffer.wrap(sslRequest()), 5000);
                            // The TLS handshake may start only after 'S' (earlier bytes are refused).
                            java.nio.ByteBuffer answer = java.nio.ByteBuffer.allocate(1);
                            if (!FaultClients.awaitReadable(c, 5000) || c.read(answer) != 1 || answer.get(0) != 'S') {
                                throw new IOException("no 'S' to SSLRequest");
                            }
                            FaultClients.trickle(c, hello, 1000, 30_000);
                            return (System.nanoTime() - connectedAt) / 1_000_000L;
                        }
                    })),
                    new Thread(() -> ms[2] = timed(() -> {
                        try (SocketChannel c = FaultClients.connect(leProxy.port())) {
                            FaultClients.writeAll(c, java.nio.ByteBuffer.wrap(new byte[] {'h', 'i'}), 5000);
                            long start = System.nanoTime();
                            return FaultClients.awaitClosed(c, 30_000) ? (System.nanoTime() - start) / 1_000_000L : -1;
                        }
                    })),
                    new Thread(() -> ms[3] = timed(() -> {
                        try (SocketChannel c = FaultClients.connect(becatPort)) {
                            return FaultClients.trickle(c, hello, 1000, 30_000);
                        }
                    })));
            for (Thread t : clients) {
                t.start();
            }
            for (Thread t : clients) {
                t.join(60_000);
            }
            String what = "pg startup trickled " + ms[0] + " ms, pg SSLRequest then a trickled ClientHello " + ms[1]
                    + " ms, le-proxy silent TLS upstream " + ms[2] + " ms, becat -l -S trickled " + ms[3] + " ms";
            System.out.println("fault suite, set-up deadlines of 2 s: " + what);
            for (long t : ms) {
                assertTrue(t >= 1500 && t < 10_000, "each cut at its 2 s deadline: " + what + "\npg:\n"
                        + pg.child().output() + "\nle-proxy:\n" + leProxy.child().output() + "\nbecat:\n" + becat.describe());
            }
            pg.child().await(l -> pg.child().count("startup not finished 2 s after the accept") >= 2, 5000);
            leProxy.child().await(l -> l.contains("upstream not connected 2 s after the accept"), 5000);
            becat.awaitStderrLine(l -> l.contains("TLS handshake not finished 2 s after the accept"), 5000);
            silentUpstream.close();
            synchronized (held) {
                for (Socket h : held) {
                    h.close();
                }
            }
        }
    }

    /** A measurement that may fail: its result, or -2 with the failure printed. */
    private static long timed(java.util.concurrent.Callable<Long> c) {
        try {
            return c.call();
        } catch (Exception e) {
            e.printStackTrace();
            return -2;
        }
    }

    /** PostgreSQL's StartupMessage, protocol 3.0, user "fault". */
    private static byte[] startupMessage() {
        byte[] params = "user\0fault\0\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + params.length);
        b.putInt(8 + params.length).putInt(3 << 16).put(params);
        return b.array();
    }

    private static byte[] sslRequest() {
        return java.nio.ByteBuffer.allocate(8).putInt(8).putInt(PgWire.SSL_REQUEST_CODE).array();
    }

    // ------------------------------------------------------------------ connection cap

    /**
     * At the cap, a new connection is reset as soon as it is accepted, refusals are reported at a
     * limited rate, and accepting goes on: when a slot frees, the next client is served at once.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void connectionCapRefusesAtOnceAndKeepsAccepting() throws Exception {
        int cap = 8;
        try (Server s = Server.start(List.of(), "echo-server", "--port", "0", "--max-connections", Integer.toString(cap))) {
            List<SocketChannel> holders = new ArrayList<>();
            try {
                for (int i = 0; i < cap; i++) {
                    holders.add(FaultClients.connect(s.port()));
                }
                int fds = FaultChecks.settledFds(s.stats()); // the server accepted all eight
                int refusals = LONG ? 500 : 50;
                long start = System.nanoTime();
                for (int i = 0; i < refusals; i++) {
                    assertTrue(FaultClients.refused(s.port(), 5000), "over the cap: reset at once");
                }
                long perRefusal = (System.nanoTime() - start) / refusals / 1000;
                System.out.println("fault suite, connection cap " + cap + ": " + refusals + " refused, " + perRefusal
                        + " us each from connect to reset");
                s.child().await(l -> l.contains("connection limit of " + cap + " reached"), 5000);
                assertTrue(s.child().count("connection limit of " + cap + " reached") <= 1 + (LONG ? 2 : 0),
                        "refusals are warned about at a limited rate:\n" + s.child().output());
                assertEquals(fds, FaultChecks.settledFds(s.stats()), "refused connections leave nothing open");
                holders.remove(0).close();
                // Accepting went on all along; the slot is free once the server has seen that close.
                s.child().await(l -> l.contains("ended: EOF"), 5000);
                try (Socket good = new Socket()) {
                    good.connect(new InetSocketAddress("127.0.0.1", s.port()), 5000);
                    good.setSoTimeout(10_000);
                    good.getOutputStream().write("served".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    assertEquals("served", new String(good.getInputStream().readNBytes(6),
                            java.nio.charset.StandardCharsets.US_ASCII), "a freed slot serves the next client");
                }
            } finally {
                FaultClients.closeAll(holders);
            }
        }
    }

    // ------------------------------------------------------------------ descriptor limit

    /**
     * Under {@code ulimit -n 256}, more connections than that: accepting fails with "too many
     * open files", the listener backs off instead of spinning (the event loop's CPU over a
     * window stays near zero), the failures are warned about at a limited rate, and once the
     * connections are reset the server serves again with the descriptors it had before (why a
     * reset and not a FIN: {@link FaultChecks#fdOverload}; with FINs, 9 server sockets were once
     * still ESTABLISHED 30 s later, waiting for FINs that TCP had not delivered yet).
     */
    @ParameterizedTest
    @ValueSource(strings = {"plain", "tls"})
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void descriptorLimitOverloadBacksOffWithoutSpinningAndRecovers(String kind) throws Exception {
        boolean tls = kind.equals("tls");
        String[] a = args("echo-server", "--port", "0", "--max-connections", "100000");
        try (Server s = Server.startWithFdLimit(256, QUIET, tls ? concat(a, "--tls") : a);
                VerifyingClient good = new VerifyingClient(s.port(), tls ? TlsStepper.insecureClient() : null).start()) {
            good.awaitServed(10, 30_000);
            FaultChecks.OverloadResult r = FaultChecks.fdOverload(s.stats(), s.port(), LONG ? 1000 : 400,
                    LONG ? 5000 : 3000, good, 30_000, full -> s.child().await(FaultSuiteTest::atTheLimit, 20_000));
            System.out.println("fault suite, ulimit -n 256 (" + kind + "): " + r);
            assertTrue(r.loopCpuShare() < 0.2, "no spinning while over the limit: " + r);
            assertTrue(r.recoveredMillis() >= 0, "served again after the flood: " + r);
            assertEquals(r.baselineFds(), r.afterFds(), "descriptors back: " + r);
        }
    }

    /**
     * The server's warning that it ran out of descriptors: accept failed, or (Conscrypt needs a
     * pipe per engine) an accepted connection could not be set up.
     */
    private static boolean atTheLimit(String line) {
        return line.contains("accept failed") || line.contains("cannot set up accepted connections");
    }

    // ------------------------------------------------------------------ renegotiation

    /**
     * A TLS 1.2 client asks the JDK provider for renegotiation after renegotiation. The library
     * refuses the first by default (SslBufferevent.setRenegotiationLimit; accepted, each cost
     * about 25 to 40 ms of server CPU); either way the server keeps serving others meanwhile.
     * That the first is refused is {@link #clientInitiatedRenegotiationIsRefusedJdk}'s check.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void renegotiationFloodLeavesOthersServedJdk() throws Exception {
        try (Server s = Server.start(List.of(), "echo-server", "--port", "0", "--tls", "--provider", "jdk");
                VerifyingClient good = new VerifyingClient(s.port(), TlsStepper.insecureClient()).start()) {
            good.awaitServed(5, 30_000);
            FaultChecks.RenegotiationResult r = FaultChecks.renegotiation(s.stats(), s.port(), LONG ? 40 : 10);
            System.out.println("fault suite, client-initiated renegotiation (jdk): " + r);
            assertTrue(r.refusal() == null || r.completed() == 0, "either every renegotiation completed and the"
                    + " connection went on, or the first was refused: " + r);
            good.awaitServed(5, 30_000);
            assertEquals(0, good.failureCount(), "the good client never failed: " + good.failures());
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void clientInitiatedRenegotiationIsRefusedJdk() throws Exception {
        try (Server s = Server.start(List.of(), "echo-server", "--port", "0", "--tls", "--provider", "jdk")) {
            assertRefused(FaultChecks.renegotiation(s.stats(), s.port(), 5));
        }
    }

    /** Conscrypt (BoringSSL) has no server-side renegotiation: the first request is refused. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void clientInitiatedRenegotiationIsRefusedConscrypt() throws Exception {
        try (Server s = Server.start(List.of(), "echo-server", "--port", "0", "--tls")) {
            assertRefused(FaultChecks.renegotiation(s.stats(), s.port(), 5));
        }
    }

    private static void assertRefused(FaultChecks.RenegotiationResult r) {
        System.out.println("fault suite, renegotiation refusal: " + r);
        assertEquals(0, r.completed(), "no client-initiated renegotiation completes: " + r);
        assertNotNull(r.refusal(), "the client is told (no_renegotiation or a failure): " + r);
    }

    @Test
    void theGoodClientNoticesAServerThatDoesNotEcho() throws Exception {
        // The suite rests on the verifying client: it must fail when the server does not serve.
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 10, java.net.InetAddress.getLoopbackAddress());
                VerifyingClient good = new VerifyingClient(silent.getLocalPort(), null)) {
            Thread acceptor = new Thread(() -> {
                try (Socket s = silent.accept()) {
                    s.getInputStream().readNBytes(1); // read, answer nothing, close
                } catch (IOException ignored) {
                    // closed by the test
                }
            });
            acceptor.start();
            good.start();
            AssertionError e = null;
            try {
                good.awaitServed(1, 3000);
            } catch (AssertionError expected) {
                e = expected;
            }
            assertNotNull(e, "no exchange can be verified against a server that does not echo");
            assertTrue(good.failureCount() > 0, "and the failure is recorded");
            acceptor.join(15_000);
        }
    }
}
