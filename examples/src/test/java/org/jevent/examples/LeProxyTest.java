package org.jevent.examples;

import static org.jevent.examples.OpenSslPeer.assertSameBytes;
import static org.jevent.examples.OpenSslPeer.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * le-proxy as a child process between a plain Java client and a real upstream: {@code openssl
 * s_server} over TLS 1.3 and 1.2 (through the TLS filter, and through the TLS socket variant
 * with the certificate verified), and a plain echo server. Bytes are checked both ways by hash;
 * the log must give each connection's end with its reason and byte counts; SIGINT and SIGTERM
 * must end it with status 0.
 */
class LeProxyTest {
    @TempDir
    Path dir;

    /** {@code le-proxy -s}: TLS filter, certificate not verified (le-proxy.c's default); ends on SIGINT. */
    @Test
    @Timeout(40)
    void tlsFilterToSServerBothVersionsThenSigint() throws Exception {
        assumeTrue(Child.sigintDeliverable(), "SIGINT is ignored in this process tree and perl is absent");
        tlsToSServer(false, "INT");
    }

    /** {@code le-proxy -s -W --cafile}: TLS socket variant, upstream certificate verified; ends on SIGTERM. */
    @Test
    @Timeout(40)
    void tlsSocketVariantToSServerBothVersionsThenSigterm() throws Exception {
        tlsToSServer(true, "TERM");
    }

    private void tlsToSServer(boolean socketVariant, String signal) throws Exception {
        OpenSslPeer.require();
        Path[] cert = OpenSslPeer.writeCertificate(dir, "upstream");
        int upstream = OpenSslPeer.freePort();
        List<String> args = new ArrayList<>(List.of("le-proxy", "-s"));
        if (socketVariant) {
            args.addAll(List.of("-W", "--cafile", cert[0].toString()));
        }
        args.addAll(List.of("127.0.0.1:0", "127.0.0.1:" + upstream));
        try (Child proxy = Child.start(args.toArray(new String[0]))) {
            int port = proxy.awaitListeningPort();
            proxy.await(l -> l.contains(socketVariant ? "(TLS socket, verified)" : "(TLS filter, certificate NOT verified)"),
                    5000);

            // TLS 1.3: the client ends the connection; the proxy closes the upstream, and
            // s_server (-naccept 1) exits once its connection is over.
            try (OpenSslPeer.SServer srv = new OpenSslPeer.SServer(dir, upstream, cert[0], cert[1], "-tls1_3");
                    Socket client = connect(port)) {
                exchange(client, srv, 1 << 20, 128 << 10, 1);
                client.close();
                proxy.await(l -> l.contains("ended: client EOF (1048576 bytes to the upstream, 131072 back"), 10_000);
                assertTrue(srv.process.waitFor(10, TimeUnit.SECONDS), "s_server still running after the proxy closed: "
                        + srv.stderr() + "\n" + proxy.output());
            }

            // TLS 1.2: the upstream dies without close_notify: logged as a truncation, and the
            // client's connection is closed.
            try (OpenSslPeer.SServer srv = new OpenSslPeer.SServer(dir, upstream, cert[0], cert[1], "-tls1_2");
                    Socket client = connect(port)) {
                exchange(client, srv, 256 << 10, 64 << 10, 2);
                srv.kill();
                proxy.await(l -> l.contains("ended: upstream truncated"), 10_000);
                assertEquals(-1, client.getInputStream().read(), "the proxy closed the client after the upstream ended");
            }
            assertTrue(proxy.output().contains("connection 2 from"), proxy.output());

            proxy.signal(signal);
            assertEquals(0, proxy.awaitExit(10_000), proxy.output());
            assertTrue(proxy.output().contains("SIG" + signal + ": stopping, 0 connection(s) open"), proxy.output());
            assertTrue(proxy.output().contains("le-proxy: stopped"), proxy.output());
        }
    }

    /**
     * Client → proxy → s_server: {@code up} random bytes, compared with what s_server printed;
     * then s_server → proxy → client: {@code down} random bytes, compared with what the client read.
     */
    private static void exchange(Socket client, OpenSslPeer.SServer srv, int up, int down, long seed) throws Exception {
        byte[] toServer = random(up, seed);
        client.getOutputStream().write(toServer);
        client.getOutputStream().flush();
        assertSameBytes(toServer, srv.awaitReceived(up, 10_000), "bytes s_server received through the proxy");
        byte[] toClient = random(down, seed + 100);
        srv.send(toClient);
        assertSameBytes(toClient, readExactly(client.getInputStream(), down), "bytes the client received from s_server");
    }

    /** Plain relay to an echo server: 16 MiB each way with a slow reader (the C backpressure), refused upstream, SIGTERM. */
    @Test
    @Timeout(120)
    void plainRelayWithBackpressureRefusedUpstreamAndSigterm() throws Exception {
        try (EchoUpstream echo = new EchoUpstream();
                RawChild proxy = RawChild.start(List.of("-Dorg.slf4j.simpleLogger.log.org.jevent.examples.LeProxy=debug"),
                        "le-proxy", "127.0.0.1:0", "127.0.0.1:" + echo.port())) {
            int port = proxy.awaitListeningPort();

            // 16 MiB written while the client does not read for a while: the echo's answers back
            // up in the proxy until its output to the client passes MAX_OUTPUT, and reading from
            // the upstream must pause, then resume as the client catches up. (More than the
            // kernel's buffers hold: Linux lets a loopback send buffer grow to 4 MiB.)
            byte[] data = random(16 << 20, 7);
            try (Socket client = new Socket()) {
                client.setReceiveBufferSize(32 << 10); // small, so that the kernel does not absorb it all
                client.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
                client.setSoTimeout(30_000); // a bound on a stall, not a speed: a loaded machine took over 10 s
                Thread writer = new Thread(() -> {
                    try {
                        client.getOutputStream().write(data);
                        client.getOutputStream().flush();
                    } catch (IOException ignored) {
                        // the read below fails then
                    }
                }, "le-proxy-test-writer");
                writer.setDaemon(true);
                writer.start();
                proxy.awaitStderrLine(l -> l.contains("pausing reads from the upstream"), 30_000);
                assertSameBytes(data, readExactly(client.getInputStream(), data.length), "bytes echoed through the proxy");
                writer.join(5000);
                proxy.awaitStderrLine(l -> l.contains("client output drained; resuming reads from the upstream"), 5000);
            }
            proxy.awaitStderrLine(l -> l.contains("ended: client EOF (16777216 bytes to the upstream, 16777216 back"), 30_000);

            // One connection left open for the stop; then the upstream stops listening and a new
            // connection is refused upstream: logged, and the client is closed.
            try (Socket idle = connect(port)) {
                idle.getOutputStream().write("ping".getBytes());
                assertEquals("ping", new String(readExactly(idle.getInputStream(), 4)));
                echo.stopListening();
                try (Socket refused = connect(port)) {
                    assertEquals(-1, refused.getInputStream().read(), "closed after the upstream refused");
                }
                proxy.awaitStderrLine(l -> l.contains("ended: upstream error: Connection refused"), 10_000);

                proxy.signal("TERM");
                assertEquals(0, proxy.awaitExit(10_000), proxy.describe());
                assertTrue(proxy.stderr().contains("ended: proxy shutdown (4 bytes to the upstream, 4 back"), proxy.describe());
                assertEquals(-1, idle.getInputStream().read(), "the proxy closed the open connection on SIGTERM");
            }
        }
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setSoTimeout(10_000); // no read in these tests may hang
        return s;
    }

    static byte[] readExactly(InputStream in, int n) throws IOException {
        byte[] b = new byte[n];
        int off = 0;
        while (off < n) {
            int r = in.read(b, off, n - off);
            if (r < 0) {
                throw new AssertionError("EOF after " + off + " of " + n + " bytes");
            }
            off += r;
        }
        return b;
    }

    /** A blocking echo server on a free loopback port, a thread per connection. */
    private static final class EchoUpstream implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final List<Socket> sockets = new ArrayList<>();

        EchoUpstream() throws IOException {
            Thread acceptor = new Thread(this::acceptLoop, "echo-upstream");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void acceptLoop() {
            try {
                while (true) {
                    Socket s = server.accept();
                    synchronized (sockets) {
                        sockets.add(s);
                    }
                    Thread t = new Thread(() -> echo(s), "echo-upstream-conn");
                    t.setDaemon(true);
                    t.start();
                }
            } catch (IOException closed) {
                // stopListening or close
            }
        }

        private static void echo(Socket s) {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                in.transferTo(out);
            } catch (SocketException ignored) {
                // closed
            } catch (IOException ignored) {
                // the test fails on the client side then
            }
        }

        void stopListening() throws IOException {
            server.close();
        }

        @Override
        public void close() throws IOException {
            server.close();
            synchronized (sockets) {
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
    }
}
