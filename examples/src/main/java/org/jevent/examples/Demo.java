package org.jevent.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.net.InetSocketAddress;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.ssl.SelfSignedCertificate;
import org.jevent.bufferevent.ssl.SslBufferevent;
import org.jevent.bufferevent.ssl.SslContexts;
import org.jevent.bufferevent.ssl.SslProvider;
import org.jevent.bufferevent.ssl.SslState;
import org.jevent.eventbase.Event;
import org.jevent.bufferevent.SocketBufferevent;
import org.jevent.eventbase.EvConnListener;
import org.jevent.eventbase.EventBase;
import org.jevent.evbuffer.EolStyle;
import org.jevent.evbuffer.EvBuffer;
import org.jevent.evbuffer.SegmentPool;

/**
 * The main job. Until the TLS layer exists it exercises EvBuffer and the event loop the way a
 * protocol server does: line parsing, zero-copy moves between buffers, a hashed transfer through
 * a pipe with scattering reads and gathering writes, and a line echo server with its clients over
 * loopback bufferevents. Prints a table; exits non-zero if any step failed.
 */
final class Demo {
    private final PrintStream out;
    private final List<String[]> rows = new ArrayList<>();
    private boolean failed;

    Demo(PrintStream out) {
        this.out = out;
    }

    int run(String[] args) {
        if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
            out.println("demo: no options; runs every step and prints a table");
            return 0;
        }
        step("parse CRLF lines", this::lines);
        step("move 1 MiB by relinking", this::moveBuffers);
        step("64 MiB through a pipe, SHA-256 checked", this::pipeTransfer);
        step("echo over loopback bufferevents", this::loopbackEcho);
        step("TLS: upgrade, early data, 8 MiB, key update", this::tlsEcho);
        step("no segment leaked", this::noLeak);
        out.printf("%-46s %-6s %s%n", "step", "result", "detail");
        for (String[] r : rows) {
            out.printf("%-46s %-6s %s%n", r[0], r[1], r[2]);
        }
        return failed ? 1 : 0;
    }

    private interface Step {
        String run() throws Exception;
    }

    private void step(String name, Step s) {
        try {
            rows.add(new String[] {name, "ok", s.run()});
        } catch (Exception | AssertionError e) {
            failed = true;
            rows.add(new String[] {name, "FAILED", String.valueOf(e)});
            if (Boolean.getBoolean("jevent.demo.trace")) {
                e.printStackTrace(out);
            }
        }
    }

    private String lines() {
        EvBuffer buf = new EvBuffer();
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            buf.addPrintf("GET /item/%d HTTP/1.1\r\n", i);
        }
        long t0 = System.nanoTime();
        int count = 0;
        String line;
        while ((line = buf.readLine(EolStyle.CRLF)) != null) {
            check(line.equals("GET /item/" + count + " HTTP/1.1"), "line " + count + " was " + line);
            count++;
        }
        long ns = System.nanoTime() - t0;
        check(count == n && buf.getLength() == 0, "read " + count + " lines");
        buf.free();
        return String.format("%d lines, %.1f M lines/s", count, count / (ns / 1e3));
    }

    private String moveBuffers() {
        EvBuffer a = new EvBuffer();
        EvBuffer b = new EvBuffer();
        byte[] chunk = new byte[16 * 1024];
        new Random(1).nextBytes(chunk);
        for (int i = 0; i < 64; i++) {
            a.add(chunk);
        }
        int segments = a.segmentCount();
        long t0 = System.nanoTime();
        b.addBuffer(a);
        long ns = System.nanoTime() - t0;
        check(a.getLength() == 0 && b.getLength() == 64L * chunk.length, "lengths after the move");
        byte[] back = new byte[chunk.length];
        for (int i = 0; i < 64; i++) {
            b.remove(back);
            check(Arrays.equals(back, chunk), "chunk " + i + " changed");
        }
        a.free();
        b.free();
        return String.format("%d segments moved in %d us", segments, ns / 1000);
    }

    private String pipeTransfer() throws IOException, NoSuchAlgorithmException {
        long total = 64L << 20;
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        MessageDigest received = MessageDigest.getInstance("SHA-256");
        Pipe pipe = Pipe.open();
        try (Pipe.SinkChannel sink = pipe.sink(); Pipe.SourceChannel source = pipe.source()) {
            sink.configureBlocking(false);
            source.configureBlocking(false);
            EvBuffer out = new EvBuffer();
            EvBuffer in = new EvBuffer();
            Random random = new Random(42);
            byte[] block = new byte[64 * 1024];
            byte[] drain = new byte[64 * 1024];
            long produced = 0;
            long consumed = 0;
            long t0 = System.nanoTime();
            while (consumed < total) {
                if (produced < total && out.getLength() < 256 * 1024) {
                    random.nextBytes(block);
                    sent.update(block);
                    out.add(block);
                    produced += block.length;
                }
                if (out.getLength() > 0) {
                    out.writeTo(sink);
                }
                while (in.readFrom(source, 64 * 1024) > 0) {
                    // keep reading while the pipe has bytes
                }
                int n;
                while ((n = in.remove(drain)) > 0) {
                    received.update(drain, 0, n);
                    consumed += n;
                }
            }
            long ns = System.nanoTime() - t0;
            check(MessageDigest.isEqual(sent.digest(), received.digest()), "digest mismatch");
            out.free();
            in.free();
            return String.format("%.0f MB/s, hashes equal", total / (ns / 1e3));
        }
    }

    /**
     * A line echo server and 20 clients on one event base: every client sends 2,000 numbered
     * lines, the server echoes each line back as soon as it is complete, and every client checks
     * every line it gets back.
     */
    private String loopbackEcho() throws Exception {
        int clients = 20;
        int lines = 2_000;
        EventBase base = new EventBase();
        try {
            EvConnListener listener = EvConnListener.newBind(base, (l, ch, peer) -> {
                SocketBufferevent bev = Bufferevent.socket(base, ch, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
                bev.setCallbacks(b -> {
                    byte[] line;
                    while ((line = b.getInput().readLineBytes(EolStyle.LF)) != null) {
                        b.write(line);
                        b.write(NEWLINE);
                    }
                }, null, (b, what) -> b.free());
                bev.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
            }, EvConnListener.LEV_OPT_CLOSE_ON_FREE | EvConnListener.LEV_OPT_REUSEABLE, -1,
                    new InetSocketAddress("127.0.0.1", 0));
            int[] done = new int[1];
            String[] failure = new String[1];
            for (int c = 0; c < clients; c++) {
                int id = c;
                int[] expected = new int[1];
                SocketBufferevent client = Bufferevent.socket(base, null, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
                client.setCallbacks(b -> {
                    String line;
                    while ((line = b.getInput().readLine(EolStyle.LF)) != null) {
                        String want = "client " + id + " line " + expected[0];
                        if (!line.equals(want)) {
                            failure[0] = "got '" + line + "', expected '" + want + "'";
                            base.loopBreak();
                            return;
                        }
                        if (++expected[0] == lines) {
                            b.free();
                            if (++done[0] == clients) {
                                listener.free();
                            }
                            return;
                        }
                    }
                }, null, (b, what) -> {
                    if ((what & Bufferevent.BEV_EVENT_CONNECTED) == 0) {
                        failure[0] = "client " + id + " event 0x" + Integer.toHexString(what) + ": " + b.getLastError();
                        base.loopBreak();
                    }
                });
                client.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
                client.connect(listener.getLocalAddress());
                for (int i = 0; i < lines; i++) {
                    client.getOutput().addPrintf("client %d line %d\n", id, i);
                }
            }
            long t0 = System.nanoTime();
            base.dispatch();
            long ns = System.nanoTime() - t0;
            check(failure[0] == null, String.valueOf(failure[0]));
            check(done[0] == clients, done[0] + " of " + clients + " clients finished");
            return String.format("%d clients x %d lines, %.0f k lines/s", clients, lines,
                    clients * (double) lines / (ns / 1e6));
        } finally {
            base.free();
        }
    }

    private static final byte[] NEWLINE = {'\n'};

    /** The 8-byte request a client sends to ask for TLS on a plaintext connection (PostgreSQL's SSLRequest, in spirit). */
    private static final byte[] TLS_REQUEST = "SSLREQST".getBytes(StandardCharsets.US_ASCII);

    /**
     * A TLS echo server that, like PostgreSQL, starts every connection in plaintext and upgrades
     * it in place when asked; two clients upgrade too, write before their handshake finished,
     * and close with close_notify. The Conscrypt client moves 8 MiB checked by SHA-256; the JDK
     * client asks for a TLS 1.3 key update first. The certificate is made on the spot.
     */
    private String tlsEcho() throws Exception {
        SelfSignedCertificate cert = SelfSignedCertificate.generate();
        SslContexts server = SslContexts.forServer(cert).build();
        SslContexts conscrypt = SslContexts.forClient().trustCertificates(cert.certificate()).build();
        SslContexts jdk = SslContexts.forClient().trustCertificates(cert.certificate())
                .provider(SslProvider.JDK).protocols("TLSv1.3").build();
        EventBase base = new EventBase();
        try {
            int[] cleanCloses = new int[1];
            String[] failure = new String[1];
            EvConnListener listener = EvConnListener.newBind(base, (l, ch, peer) -> {
                SocketBufferevent plain = Bufferevent.socket(base, ch, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
                plain.setCallbacks(b -> {
                    if (b.getInput().getLength() < TLS_REQUEST.length) {
                        return;
                    }
                    byte[] request = new byte[TLS_REQUEST.length];
                    b.read(request);
                    if (!Arrays.equals(request, TLS_REQUEST)) {
                        b.free();
                        return;
                    }
                    b.write(new byte[] {'S'});
                    SslBufferevent tls = SslBufferevent.filter(base, b, server.newServerEngine(), SslState.ACCEPTING,
                            Bufferevent.BEV_OPT_CLOSE_ON_FREE);
                    tls.setCallbacks(t -> t.writeBuffer(t.getInput()), null, (t, what) -> {
                        if ((what & Bufferevent.BEV_EVENT_CONNECTED) != 0) {
                            return;
                        }
                        if (what == (Bufferevent.BEV_EVENT_READING | Bufferevent.BEV_EVENT_EOF)) {
                            cleanCloses[0]++; // the peer's close_notify, not a truncation
                        } else {
                            failure[0] = "server event 0x" + Integer.toHexString(what) + " " + ((SslBufferevent) t).getSslErrors();
                        }
                        t.free();
                    });
                    tls.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
                }, null, (b, what) -> b.free());
                plain.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
            }, EvConnListener.LEV_OPT_CLOSE_ON_FREE | EvConnListener.LEV_OPT_REUSEABLE, -1,
                    new InetSocketAddress("127.0.0.1", 0));
            InetSocketAddress addr = (InetSocketAddress) listener.getLocalAddress();
            TlsClient big = new TlsClient(base, conscrypt, addr, 8 << 20, false, failure);
            TlsClient keyUpdate = new TlsClient(base, jdk, addr, 256 << 10, true, failure);
            long t0 = System.nanoTime();
            Event watchdog = Event.timer(base, (ev, what) -> {
                failure[0] = "timed out";
                base.loopBreak();
            });
            watchdog.add(java.time.Duration.ofSeconds(60));
            Event check = new Event(base, null, Event.EV_PERSIST, (ev, what) -> {
                if (failure[0] != null || (big.done && keyUpdate.done && cleanCloses[0] == 2)) {
                    base.loopBreak();
                }
            });
            check.add(java.time.Duration.ofMillis(5));
            base.dispatch();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            watchdog.del();
            check.del();
            listener.free();
            check(failure[0] == null, String.valueOf(failure[0]));
            check(big.hashesEqual && keyUpdate.hashesEqual, "echoed bytes differ from what was sent");
            check(keyUpdate.keyUpdated, "the JDK client's key update was refused");
            return String.format("%d MiB + %d KiB echoed over %s and %s, hashes equal, key update, %d clean close_notify, %d ms",
                    big.total >> 20, keyUpdate.total >> 10, big.protocol, keyUpdate.protocol, cleanCloses[0], ms);
        } finally {
            base.free();
        }
    }

    /** One client of {@link #tlsEcho}: asks for TLS, upgrades, sends its bytes at once, checks the echo, closes cleanly. */
    private static final class TlsClient {
        final long total;
        final MessageDigest sent;
        final MessageDigest received;
        long got;
        boolean done;
        boolean hashesEqual;
        boolean keyUpdated;
        String protocol;

        TlsClient(EventBase base, SslContexts tls, InetSocketAddress addr, int total, boolean updateKeys,
                String[] failure) throws NoSuchAlgorithmException {
            this.total = total;
            this.sent = MessageDigest.getInstance("SHA-256");
            this.received = MessageDigest.getInstance("SHA-256");
            byte[] data = new byte[total];
            new Random(total).nextBytes(data);
            sent.update(data);
            SocketBufferevent plain = Bufferevent.socket(base, null, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
            plain.setCallbacks(b -> {
                int answer = b.getInput().getLength() > 0 ? b.read(new byte[1]) : 0;
                if (answer == 0) {
                    return;
                }
                SslBufferevent t = SslBufferevent.filter(base, b, tls.newClientEngine("localhost", addr.getPort()),
                        SslState.CONNECTING, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
                t.setCallbacks(c -> {
                    byte[] chunk = new byte[64 * 1024];
                    int n;
                    while ((n = c.read(chunk)) > 0) {
                        received.update(chunk, 0, n);
                        got += n;
                    }
                    if (got == this.total) {
                        hashesEqual = MessageDigest.isEqual(sent.digest(), received.digest());
                        ((SslBufferevent) c).shutdown(java.time.Duration.ZERO);
                    }
                }, null, (c, what) -> {
                    SslBufferevent s = (SslBufferevent) c;
                    if ((what & Bufferevent.BEV_EVENT_CONNECTED) != 0) {
                        // CONNECTED comes again when our key update completes: ask only once.
                        if (protocol == null) {
                            protocol = s.getEngine().getSession().getProtocol();
                            if (updateKeys) {
                                keyUpdated = s.renegotiate();
                            }
                        }
                        return;
                    }
                    if ((what & Bufferevent.BEV_EVENT_EOF) != 0 && s.isShuttingDown()) {
                        done = true;
                    } else {
                        failure[0] = "client event 0x" + Integer.toHexString(what) + " " + s.getSslErrors();
                    }
                    c.free();
                });
                t.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
                t.write(data); // before the handshake: held, then sent encrypted
            }, null, (b, what) -> {
                if ((what & Bufferevent.BEV_EVENT_CONNECTED) != 0) {
                    b.write(TLS_REQUEST);
                } else {
                    failure[0] = "plaintext client event 0x" + Integer.toHexString(what) + ": " + b.getLastError();
                    b.free();
                }
            });
            plain.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
            plain.connect(addr);
        }
    }

    private String noLeak() {
        long outstanding = SegmentPool.current().outstanding();
        check(outstanding == 0, outstanding + " pooled segments still held");
        return SegmentPool.current().pooledSegments() + " segments back in the pool";
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    static String ascii(byte[] b) {
        return new String(b, StandardCharsets.US_ASCII);
    }
}
