package org.jevent.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * pg-tls-proxy as a child process between the real {@code psql} client and a real PostgreSQL
 * server ({@link PgTestServer}, started once for the class), plus raw-socket clients and a
 * fake upstream for what psql cannot be made to do (plaintext pipelined after SSLRequest).
 * Every proxy is stopped with SIGTERM sent to its PID and must exit 0.
 */
class PgTlsProxyTest {
    private static PgTestServer pg;

    @BeforeAll
    static void startPostgres() throws Exception {
        pg = PgTestServer.start();
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        if (pg != null) {
            pg.close();
        }
    }

    /**
     * (1) TLS from psql to the proxy, plaintext from the proxy to the server: psql reports its
     * own connection as SSL, the server reports the proxy's connection as not SSL, the query
     * result comes back; and (4) a plaintext client (sslmode=disable) is relayed as it is.
     */
    @Test
    @Timeout(20)
    void psqlOverTlsIsTerminatedAtTheProxyAndPlaintextIsRelayed() throws Exception {
        try (Child proxy = startProxy(pg.port)) {
            int port = proxy.awaitListeningPort();
            Psql r = psql("host=127.0.0.1 port=" + port + " sslmode=require",
                    "select 42", "select ssl from pg_stat_ssl where pid = pg_backend_pid()", "\\conninfo");
            assertEquals(0, r.exit, r.output + proxy.output());
            List<String> lines = r.output.lines().toList();
            assertEquals("42", lines.get(0), r.output);
            assertEquals("f", lines.get(1), "the proxy's leg to the server is plaintext: " + r.output);
            assertTrue(r.output.contains("SSL connection (protocol: TLSv1."), "psql's own report: " + r.output);
            proxy.await(l -> l.contains("upgraded to TLS (TLSv1."), 5000);
            proxy.await(l -> endedByTerminate(l, "TLS"), 5000);

            Psql plain = psql("host=127.0.0.1 port=" + port + " sslmode=disable", "select 42", "\\conninfo");
            assertEquals(0, plain.exit, plain.output + proxy.output());
            assertEquals("42", plain.output.lines().findFirst().orElse(""), plain.output);
            assertTrue(!plain.output.contains("SSL connection"), plain.output);
            proxy.await(l -> endedByTerminate(l, "plaintext"), 5000);
            stop(proxy);
        }
    }

    /**
     * (2) --upstream-tls: the proxy sends its own SSLRequest and the server reports the proxy's
     * connection as TLS. The proxy's certificate comes from --cert/--key and psql verifies it
     * (verify-full); the proxy verifies the server's with --upstream-cafile; the JDK provider.
     */
    @Test
    @Timeout(20)
    void upstreamTlsIsSeenByTheServer(@TempDir Path tmp) throws Exception {
        Path[] cert = OpenSslPeer.writeCertificate(tmp, "proxy");
        try (Child proxy = startProxy(pg.port, "--upstream-tls", "--upstream-cafile",
                pg.certPem.toString(), "--cert", cert[0].toString(), "--key", cert[1].toString(), "--provider", "jdk")) {
            int port = proxy.awaitListeningPort();
            Psql r = psql("host=localhost hostaddr=127.0.0.1 port=" + port + " sslmode=verify-full sslrootcert="
                    + cert[0], "select 42", "select ssl from pg_stat_ssl where pid = pg_backend_pid()", "\\conninfo");
            assertEquals(0, r.exit, r.output + proxy.output());
            List<String> lines = r.output.lines().toList();
            assertEquals("42", lines.get(0), r.output);
            assertEquals("t", lines.get(1), "the server sees the proxy's connection as TLS: " + r.output);
            assertTrue(r.output.contains("SSL connection (protocol: TLSv1."), r.output);
            proxy.await(l -> l.contains("upstream 127.0.0.1:" + pg.port + " over TLS"), 5000);
            stop(proxy);
        }
    }

    /**
     * Megabytes both ways with TLS on both legs: a 4 MiB literal from psql to the server (its
     * MD5 computed by the server must match ours) and 200,000 COPY rows back (about 8 MB, more
     * than the relay's 512 KiB per-side bound, so the watermark backpressure is crossed).
     */
    @Test
    @Timeout(20)
    void megabytesBothWaysThroughTwoTlsLegs(@TempDir Path tmp) throws Exception {
        byte[] raw = new byte[2 << 20];
        new java.util.Random(42).nextBytes(raw);
        String literal = java.util.HexFormat.of().formatHex(raw); // 4 MiB of text
        String rows = "200000";
        Path sql = tmp.resolve("bulk.sql");
        java.nio.file.Files.writeString(sql, "select md5('" + literal + "');\n"
                + "copy (select i, md5(i::text) from generate_series(1, " + rows + ") i) to stdout;\n");
        try (Child proxy = startProxy(pg.port, "--upstream-tls")) {
            int port = proxy.awaitListeningPort();
            Psql r = psql("host=127.0.0.1 port=" + port + " sslmode=require", "-f", sql.toString());
            assertEquals(0, r.exit, r.output.substring(0, Math.min(2000, r.output.length())) + proxy.output());
            List<String> lines = r.output.lines().toList();
            String md5 = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5")
                    .digest(literal.getBytes(StandardCharsets.US_ASCII)));
            assertEquals(md5, lines.get(0));
            assertEquals(200_001, lines.size(), "one md5 line and every COPY row");
            String last = rows + "\t" + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5")
                    .digest(rows.getBytes(StandardCharsets.US_ASCII)));
            assertEquals(last, lines.get(lines.size() - 1));
            proxy.await(l -> endedByTerminate(l, "TLS"), 5000);
            stop(proxy);
        }
    }

    /**
     * (3) The CVE-2021-23214 pattern: plaintext sent after SSLRequest, before any handshake,
     * whether it arrives with the SSLRequest (refused before 'S') or right after our 'S' (the
     * handshake fails on it). The upstream is a socket of ours: it must never see a connection.
     */
    @Test
    @Timeout(20)
    void plaintextAfterSslRequestIsNeverRelayed() throws Exception {
        try (ServerSocket fakeUpstream = fakeUpstream();
                Child proxy = startProxy(fakeUpstream.getLocalPort())) {
            int port = proxy.awaitListeningPort();
            byte[] startup = startupMessage("postgres", "postgres");

            // Pipelined in one write: the proxy answers with an ErrorResponse instead of 'S'.
            try (Socket s = connect(port)) {
                s.getOutputStream().write(concat(sslRequest(), startup));
                byte[] answer = readToEof(s.getInputStream());
                assertTrue(answer.length > 0 && answer[0] == 'E', "an ErrorResponse, got " + answer.length + " bytes");
                assertTrue(new String(answer, StandardCharsets.UTF_8).contains("unencrypted data after SSL request"));
            }
            proxy.await(l -> l.contains("ended: refused: received unencrypted data after SSL request"), 5000);

            // After 'S', plaintext instead of a ClientHello: the TLS layer rejects it.
            try (Socket s = connect(port)) {
                s.getOutputStream().write(sslRequest());
                assertEquals('S', s.getInputStream().read());
                s.getOutputStream().write(startup);
                readToEof(s.getInputStream()); // a TLS alert at most, then the close
            }
            proxy.await(l -> l.contains("ended: client TLS error") && l.contains("during client TLS handshake"), 5000);

            fakeUpstream.setSoTimeout(1000);
            assertThrows(SocketTimeoutException.class, fakeUpstream::accept, "the proxy connected upstream");
            assertTrue(proxy.output().lines().filter(l -> l.contains("ended:")).allMatch(l -> l.contains("nothing relayed")),
                    proxy.output());
            stop(proxy);
        }
    }

    /**
     * GSSENCRequest is declined with 'N' and the client goes on in the same connection; a
     * CancelRequest that follows is passed to the upstream byte for byte.
     */
    @Test
    @Timeout(20)
    void gssEncIsDeclinedAndCancelRequestIsRelayed() throws Exception {
        try (ServerSocket fakeUpstream = fakeUpstream();
                Child proxy = startProxy(fakeUpstream.getLocalPort(), "--require-tls")) {
            int port = proxy.awaitListeningPort();
            byte[] cancel = ByteBuffer.allocate(16).putInt(16).putInt(80877102).putInt(4242).putInt(0x5ec2e7).array();
            try (Socket s = connect(port)) {
                s.getOutputStream().write(ByteBuffer.allocate(8).putInt(8).putInt(80877104).array());
                assertEquals('N', s.getInputStream().read());
                s.getOutputStream().write(cancel);
                fakeUpstream.setSoTimeout(5000);
                try (Socket up = fakeUpstream.accept()) {
                    up.setSoTimeout(5000);
                    byte[] got = new byte[16];
                    new DataInputStream(up.getInputStream()).readFully(got);
                    assertArrayEquals(cancel, got);
                }
                assertEquals(-1, s.getInputStream().read(), "closed after the upstream closed");
            }
            proxy.await(l -> l.contains("ended: upstream closed (EOF)"), 5000);
            stop(proxy);
        }
    }

    /** (4) With --require-tls a plaintext StartupMessage is refused with the server's kind of error; TLS still works. */
    @Test
    @Timeout(20)
    void requireTlsRefusesPlaintextStartup() throws Exception {
        try (Child proxy = startProxy(pg.port, "--require-tls")) {
            int port = proxy.awaitListeningPort();
            Psql refused = psql("host=127.0.0.1 port=" + port + " sslmode=disable", "select 42");
            assertNotEquals(0, refused.exit, refused.output);
            assertTrue(refused.output.contains("this proxy accepts only TLS connections"), refused.output);
            proxy.await(l -> l.contains("ended: refused: this proxy accepts only TLS connections"), 5000);

            Psql tls = psql("host=127.0.0.1 port=" + port + " sslmode=require", "select 42");
            assertEquals(0, tls.exit, tls.output + proxy.output());
            assertEquals("42", tls.output.trim());
            stop(proxy);
        }
    }

    /** --upstream-tls against a server that answers 'N': psql gets a FATAL error saying so. */
    @Test
    @Timeout(20)
    void upstreamRefusingTlsEndsTheClientWithAnErrorResponse() throws Exception {
        try (ServerSocket fakeUpstream = fakeUpstream();
                Child proxy = startProxy(fakeUpstream.getLocalPort(), "--upstream-tls")) {
            int port = proxy.awaitListeningPort();
            Thread server = new Thread(() -> {
                try (Socket up = fakeUpstream.accept()) {
                    up.setSoTimeout(5000);
                    byte[] request = new byte[8];
                    new DataInputStream(up.getInputStream()).readFully(request);
                    if (ByteBuffer.wrap(request).getInt(4) == 80877103) {
                        up.getOutputStream().write('N');
                    }
                    up.getInputStream().read(); // until the proxy closes
                } catch (IOException ignored) {
                    // the assertions below tell
                }
            });
            server.setDaemon(true);
            server.start();
            Psql r = psql("host=127.0.0.1 port=" + port + " sslmode=require", "select 42");
            assertNotEquals(0, r.exit, r.output);
            assertTrue(r.output.contains("does not support TLS"), r.output);
            proxy.await(l -> l.contains("ended: upstream refused TLS"), 5000);
            server.join(5000);
            stop(proxy);
        }
    }

    /** (5) SIGTERM with a query running through the proxy: exit 0, the connection logged as shut down. */
    @Test
    @Timeout(20)
    void sigtermWithAnOpenConnectionExitsZero() throws Exception {
        try (Child proxy = startProxy(pg.port)) {
            int port = proxy.awaitListeningPort();
            Process sleeper = psqlProcess("host=127.0.0.1 port=" + port + " sslmode=require", "select pg_sleep(15)");
            try {
                proxy.await(l -> l.contains("upgraded to TLS"), 10_000);
                Thread.sleep(300); // let the query reach the server
                stop(proxy);
                assertTrue(proxy.output().contains("SIGTERM: stopping, 1 connection(s) open"), proxy.output());
                assertTrue(proxy.output().contains("ended: proxy shutdown"), proxy.output());
                assertTrue(sleeper.waitFor(10, TimeUnit.SECONDS), "psql noticed the closed connection");
                assertNotEquals(0, sleeper.exitValue());
            } finally {
                sleeper.destroyForcibly(); // by its PID: the process we started
                sleeper.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    // ------------------------------------------------------------ helpers

    /** pg-tls-proxy on a free port, relaying to 127.0.0.1:{@code upstreamPort}, with {@code more} options. */
    /**
     * The end of a session that psql closed the normal way: it sends Terminate and closes, and the
     * server, on that Terminate (relayed), closes too. Which close the proxy reads first is a race
     * (measured: "upstream closed (EOF)" on a loaded machine), and both are a clean end.
     */
    private static boolean endedByTerminate(String line, String clientLeg) {
        return (line.contains("ended: client closed (") || line.contains("ended: upstream closed (EOF)"))
                && line.contains("(" + clientLeg + ", ");
    }

    private static Child startProxy(int upstreamPort, String... more) throws IOException {
        List<String> all = new ArrayList<>(
                List.of("pg-tls-proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:" + upstreamPort));
        all.addAll(List.of(more));
        return Child.start(all.toArray(new String[0]));
    }

    /** A socket of ours listening as the upstream, for what the real server cannot be made to do. */
    private static ServerSocket fakeUpstream() throws IOException {
        return new ServerSocket(0, 10, InetAddress.getByName("127.0.0.1"));
    }

    private static void stop(Child proxy) throws Exception {
        proxy.signal("TERM");
        assertEquals(0, proxy.awaitExit(10_000), proxy.output());
    }

    private record Psql(int exit, String output) {
    }

    /**
     * psql without ~/.psqlrc, unaligned tuples only; {@code conn} gets user, dbname and a
     * connect timeout added; each command is a {@code -c}, or {@code "-f", file} a script.
     */
    private static Process psqlProcess(String conn, String... commands) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(PgTestServer.psql(), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1"));
        cmd.add(conn + " user=postgres dbname=postgres connect_timeout=10");
        for (int i = 0; i < commands.length; i++) {
            if (commands[i].equals("-f")) {
                cmd.add("-f"); // a script file instead of a command
                cmd.add(commands[++i]);
            } else {
                cmd.add("-c");
                cmd.add(commands[i]);
            }
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("PG"));
        // No ~/.postgresql/root.crt or client certificate of this machine's user may interfere.
        env.put("PGSSLCERT", "/nonexistent");
        env.put("PGSSLKEY", "/nonexistent");
        env.put("LC_ALL", "C");
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        return pb.start();
    }

    private static Psql psql(String conn, String... commands) throws Exception {
        Process p = psqlProcess(conn, commands);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                in.transferTo(out);
            } catch (IOException ignored) {
                // killed
            }
        });
        reader.setDaemon(true);
        reader.start();
        if (!p.waitFor(12, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
            throw new AssertionError("psql still running after 12 s: " + out.toString(StandardCharsets.UTF_8));
        }
        reader.join(5000);
        return new Psql(p.exitValue(), out.toString(StandardCharsets.UTF_8));
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(5000);
        return s;
    }

    private static byte[] sslRequest() {
        return ByteBuffer.allocate(8).putInt(8).putInt(80877103).array();
    }

    /** A protocol 3.0 StartupMessage: user and database parameters. */
    private static byte[] startupMessage(String user, String database) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (String s : List.of("user", user, "database", database)) {
            body.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            body.write(0);
        }
        body.write(0);
        byte[] b = body.toByteArray();
        return ByteBuffer.allocate(8 + b.length).putInt(8 + b.length).putInt(3 << 16).put(b).array();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        return ByteBuffer.allocate(a.length + b.length).put(a).put(b).array();
    }

    /** Reads until the peer closes (a reset counts as closed); bounded by the socket timeout. */
    private static byte[] readToEof(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
            }
        } catch (java.net.SocketException reset) {
            // closed with unread data on its side: closed all the same
        }
        return out.toByteArray();
    }
}
