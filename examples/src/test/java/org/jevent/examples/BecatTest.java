package org.jevent.examples;

import static org.jevent.examples.LeProxyTest.readExactly;
import static org.jevent.examples.OpenSslPeer.assertSameBytes;
import static org.jevent.examples.OpenSslPeer.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * becat as a child process with its stdin and stdout piped: connecting to {@code openssl
 * s_server} (TLS 1.3 and 1.2) and to a plain Java listener, and listening ({@code -l}) for
 * {@code openssl s_client} (TLS, {@code -k}: two clients in turn) and for a plain Java socket.
 * Bytes are checked both ways by hash; every run must end with status 0, by end of stdin, by the
 * peer's close, or by SIGINT/SIGTERM to its PID.
 */
class BecatTest {
    @TempDir
    Path dir;

    /** becat -S to s_server, TLS 1.3: 512 KiB stdin → s_server, 64 KiB s_server → stdout; end of stdin ends it. */
    @Test
    @Timeout(30)
    void tls13ToSServerEndsAtEndOfStdin() throws Exception {
        OpenSslPeer.require();
        Path[] cert = OpenSslPeer.writeCertificate(dir, "server");
        int port = OpenSslPeer.freePort();
        try (OpenSslPeer.SServer srv = new OpenSslPeer.SServer(dir, port, cert[0], cert[1], "-tls1_3");
                RawChild becat = RawChild.start("becat", "-v", "-S", "127.0.0.1", Integer.toString(port))) {
            exchangeWithSServer(becat, srv, 512 << 10, 64 << 10, 1);
            becat.awaitStderrLine(l -> l.contains("Connected (TLSv1.3"), 5000);
            becat.stdin().close();
            assertEquals(0, becat.awaitExit(10_000), becat.describe());
            // What stdin sent was all delivered before the close (checked above), and the
            // close was the TLS one: s_server (-naccept 1) is done with its only client.
            assertTrue(srv.process.waitFor(10, TimeUnit.SECONDS), "s_server still running: " + srv.stderr());
        }
    }

    /** becat -S to s_server, TLS 1.2, with the certificate verified (--cafile); SIGINT ends it with 0. */
    @Test
    @Timeout(30)
    void tls12ToSServerVerifiedThenSigint() throws Exception {
        assumeTrue(Child.sigintDeliverable(), "SIGINT is ignored in this process tree and perl is absent");
        OpenSslPeer.require();
        Path[] cert = OpenSslPeer.writeCertificate(dir, "server");
        int port = OpenSslPeer.freePort();
        try (OpenSslPeer.SServer srv = new OpenSslPeer.SServer(dir, port, cert[0], cert[1], "-tls1_2");
                RawChild becat = RawChild.start("becat", "-v", "-S", "--cafile", cert[0].toString(), "127.0.0.1",
                        Integer.toString(port))) {
            exchangeWithSServer(becat, srv, 100 << 10, 32 << 10, 2);
            becat.awaitStderrLine(l -> l.contains("Connected (TLSv1.2"), 5000);
            becat.signal("INT");
            assertEquals(0, becat.awaitExit(10_000), becat.describe());
            assertTrue(becat.stderr().contains("Interrupt signal received. Terminating"), becat.describe());
        }
    }

    /** --cafile with a certificate that is not the server's: the handshake fails, status 1, the reason on stderr. */
    @Test
    @Timeout(30)
    void tlsToSServerWithTheWrongCaFails() throws Exception {
        OpenSslPeer.require();
        Path[] cert = OpenSslPeer.writeCertificate(dir, "server");
        Path[] other = OpenSslPeer.writeCertificate(dir, "other");
        int port = OpenSslPeer.freePort();
        try (OpenSslPeer.SServer srv = new OpenSslPeer.SServer(dir, port, cert[0], cert[1], "-tls1_3");
                RawChild becat = RawChild.start("becat", "-S", "--cafile", other[0].toString(), "127.0.0.1",
                        Integer.toString(port))) {
            assertEquals(1, becat.awaitExit(15_000), becat.describe());
            assertTrue(becat.stderr().contains("ssl/err:"), becat.describe());
            assertTrue(becat.stderr().contains("Terminating connection"), becat.describe());
        }
    }

    private static void exchangeWithSServer(RawChild becat, OpenSslPeer.SServer srv, int up, int down, long seed)
            throws Exception {
        byte[] toServer = random(up, seed);
        becat.writeStdin(toServer);
        assertSameBytes(toServer, srv.awaitReceived(up, 10_000), "bytes s_server received from becat's stdin");
        byte[] toStdout = random(down, seed + 100);
        srv.send(toStdout);
        assertSameBytes(toStdout, becat.awaitStdout(down, 10_000), "bytes becat printed from s_server");
    }

    /** Plain becat to a Java listener: both ways; the listener closes, and becat ends with 0. */
    @Test
    @Timeout(30)
    void plainToAJavaListenerEndsWhenThePeerCloses() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                RawChild becat = RawChild.start("becat", "127.0.0.1", Integer.toString(listener.getLocalPort()))) {
            listener.setSoTimeout(10_000);
            Socket peer = listener.accept();
            byte[] fromStdin = random(300 << 10, 3);
            becat.writeStdin(fromStdin);
            exchangeWithPlainPeerThenItCloses(becat, peer, fromStdin, "bytes from becat's stdin", random(200 << 10, 4));
        }
    }

    /**
     * becat -l -k -S -p 0 with two s_client connections in turn (TLS 1.3, then 1.2): each sends to
     * becat's stdout and receives what becat's stdin sends while it is connected, then closes
     * with close_notify; becat keeps listening (-k) until SIGTERM, then exits 0.
     */
    @Test
    @Timeout(40)
    void listeningWithTlsForTwoSClientsInTurnThenSigterm() throws Exception {
        OpenSslPeer.require();
        try (RawChild becat = RawChild.start("becat", "-l", "-k", "-S", "-p", "0")) {
            int port = becat.awaitListeningPort();
            int expectedStdout = 0;
            String[] versions = {"-tls1_3", "-tls1_2"};
            for (int i = 0; i < versions.length; i++) {
                Process cli = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + port, versions[i],
                        "-quiet", "-no_ign_eof", "-nocommands").redirectError(dir.resolve("s_client" + i + ".err").toFile())
                        .start();
                try {
                    Collector cliOut = new Collector(cli.getInputStream());
                    byte[] toBecat = random(64 << 10, 10 + i);
                    cli.getOutputStream().write(toBecat);
                    cli.getOutputStream().flush();
                    expectedStdout += toBecat.length;
                    byte[] all = becat.awaitStdout(expectedStdout, 10_000);
                    byte[] got = java.util.Arrays.copyOfRange(all, expectedStdout - toBecat.length, expectedStdout);
                    assertSameBytes(toBecat, got, "bytes becat printed from s_client " + versions[i]);

                    byte[] toClient = random(48 << 10, 20 + i);
                    becat.writeStdin(toClient);
                    assertSameBytes(toClient, cliOut.await(toClient.length, 10_000), "bytes s_client received " + versions[i]);

                    cli.getOutputStream().close(); // s_client: end of stdin → close_notify, exit
                    assertTrue(cli.waitFor(10, TimeUnit.SECONDS), "s_client did not exit");
                    int n = i + 1;
                    becat.awaitStderrLine(l -> becat.stderr().lines()
                            .filter(s -> s.contains("(clean close_notify). Terminating connection")).count() == n, 10_000);
                } finally {
                    if (cli.isAlive()) {
                        cli.destroyForcibly(); // by its PID
                        cli.waitFor(5, TimeUnit.SECONDS);
                    }
                }
            }
            becat.signal("TERM");
            assertEquals(0, becat.awaitExit(10_000), becat.describe());
            assertTrue(becat.stderr().contains("Terminated signal received. Terminating"), becat.describe());
        }
    }

    /** Plain becat -l with a Java socket: both ways; without -k it ends with the connection, status 0. */
    @Test
    @Timeout(30)
    void listeningPlainForAJavaSocket() throws Exception {
        try (RawChild becat = RawChild.start("becat", "-l", "-s", "127.0.0.1", "-p0")) {
            int port = becat.awaitListeningPort();
            // Sent to stdin before anyone connects: held, and delivered once a client is there.
            byte[] early = random(10 << 10, 5);
            becat.writeStdin(early);
            Socket peer = new Socket(InetAddress.getLoopbackAddress(), port);
            exchangeWithPlainPeerThenItCloses(becat, peer, early, "stdin written before the connection",
                    random(100 << 10, 6));
        }
    }

    /**
     * Plain becat and a Java socket: the peer must read {@code fromStdin} (already written to
     * becat's stdin), then sends {@code toStdout}, which becat must print; then the peer closes,
     * and becat ends with status 0 on that EOF.
     */
    private static void exchangeWithPlainPeerThenItCloses(RawChild becat, Socket peer, byte[] fromStdin,
            String fromStdinWhat, byte[] toStdout) throws Exception {
        try (peer) {
            peer.setSoTimeout(10_000);
            assertSameBytes(fromStdin, readExactly(peer.getInputStream(), fromStdin.length), fromStdinWhat);
            peer.getOutputStream().write(toStdout);
            peer.getOutputStream().flush();
            assertSameBytes(toStdout, becat.awaitStdout(toStdout.length, 10_000), "bytes becat printed");
        }
        assertEquals(0, becat.awaitExit(10_000), becat.describe());
        assertTrue(becat.stderr().contains("(EOF). Terminating connection"), becat.describe());
    }

    /** getopt forms (grouped flags, attached values, options after operands), usage errors, --help. */
    @Test
    @Timeout(10)
    void optionsParseLikeGetopt() {
        Opts o = new Opts("u").value("-p", "-s", "-t").flag("-l", "-k", "-S", "-v").positional("hostname", "port")
                .parse(new String[] {"-lkS", "-p8080", "host", "-vv", "-t", "5", "443", "-v"});
        assertTrue(o.has("-l") && o.has("-k") && o.has("-S"));
        assertEquals(8080, o.getInt("-p", 0));
        assertEquals(5, o.getInt("-t", 0));
        assertEquals(3, o.count("-v"));
        assertEquals(java.util.List.of("host", "443"), o.positionals());
        assertEquals(java.util.List.of("-x"), new Opts("u").positional("a").parse(new String[] {"--", "-x"}).positionals());

        Becat.Options b = Becat.parseOpts(new Opts("u").value("-p", "-s", "-b", "-t", "-T", "-K", "--cert", "--key",
                "--cafile").flag("-l", "-k", "-S", "-v").positional("hostname", "port").parse(new String[] {"example", "99"}));
        assertEquals("example", b.dstAddress);
        assertEquals(99, b.dstPort);
        assertEquals(Becat.DEFAULT_PORT, b.srcPort);

        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.io.PrintStream out = new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, Main.run(new String[] {"becat", "-h"}, out));
        assertEquals(0, Main.run(new String[] {"le-proxy", "--help"}, out));
        assertEquals(2, Main.run(new String[] {"becat", "-x"}, out));
        assertEquals(2, Main.run(new String[] {"becat", "h", "1", "extra"}, out));
        assertEquals(2, Main.run(new String[] {"becat", "-p"}, out));
        assertEquals(2, Main.run(new String[] {"le-proxy", "127.0.0.1:1"}, out));
        assertEquals(2, Main.run(new String[] {"le-proxy", "--cafile", "x", "1", "127.0.0.1:2"}, out));
        String text = bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(text.contains("usage: becat [ OPTS ] [hostname] [port]"), text);
        assertTrue(text.contains("WITHOUT --cafile THE UPSTREAM'S CERTIFICATE IS NOT VERIFIED"), text);
        assertTrue(text.contains("becat: unknown option '-x'"), text);
        assertTrue(text.contains("becat: unexpected argument 'extra'"), text);
        assertTrue(text.contains("becat: option -p needs a value"), text);
        assertTrue(text.contains("le-proxy: needs <listen-on-addr> and <connect-to-addr>"), text);
        assertTrue(text.contains("le-proxy: --cafile goes with -s"), text);
        // time-test's single-dash flag is unchanged.
        assertTrue(new Opts("u").flag("-p").parse(new String[] {"-p"}).has("-p"));
    }

    /** Collects a stream on a daemon thread, so that a silent peer cannot hang the test. */
    private static final class Collector {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        Collector(InputStream in) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[16384];
                try {
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        synchronized (this) {
                            bytes.write(buf, 0, n);
                            notifyAll();
                        }
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
            }, "collector");
            t.setDaemon(true);
            t.start();
        }

        synchronized byte[] await(int n, long millis) throws InterruptedException {
            long deadline = System.currentTimeMillis() + millis;
            while (bytes.size() < n) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    throw new AssertionError("got " + bytes.size() + " of " + n + " bytes in " + millis + " ms");
                }
                wait(left);
            }
            return bytes.toByteArray();
        }
    }
}
