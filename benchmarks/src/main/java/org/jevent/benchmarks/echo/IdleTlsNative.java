package org.jevent.benchmarks.echo;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import org.conscrypt.BufferAllocator;
import org.conscrypt.Conscrypt;
import org.jevent.bufferevent.ssl.SelfSignedCertificate;
import org.jevent.bufferevent.ssl.SslContexts;
import org.jevent.bufferevent.ssl.SslProvider;

/**
 * Native memory of idle Conscrypt server engines, without sockets, a loop or jevent's buffers:
 * {@code N} server engines made by {@link SslContexts#newServerEngine()} (the {@code echo-server}
 * example's configuration) handshake in memory with clients of the JDK's own provider (pure Java,
 * so every byte outside the Java heap that grows with {@code N} is the server engines'), and are
 * then kept, idle. Memory is read at 0, {@code N/3} and {@code N} kept engines (two
 * {@code System.gc()} first), from {@code /proc/self/smaps_rollup}; the figure is the marginal
 * one, {@code (all − third) / (N − N/3)}, as {@link IdleLoad} reads a server.
 *
 * <p>The server side is driven as {@code SslBufferevent} drives a Conscrypt engine: direct buffers
 * both ways, one TLS record per unwrap, and after a session a close of both directions plus a
 * wrap that takes the queued close_notify out (Conscrypt frees its native state only then). Run
 * it on a pinned, pre-touched heap ({@code -Xms = -Xmx}, {@code -XX:+AlwaysPreTouch}) so that the
 * RSS does not move with the Java heap, and with C1 only ({@code -XX:TieredStopAtLevel=1}) so that
 * compilations do not fall into the readings.
 *
 * <p>The options are the levers tried for issue 14 ({@code benchmarks/PERF-NOTES.md}, "Session 7"):
 * {@code --tickets off} (no TLS 1.3 session tickets), {@code --session} (read the session as the
 * example's log line and JFR do), {@code --data single|gathered} (one small echo after the
 * handshake, the server's reply wrapped from one buffer or from two, as {@code DirectEngineIo}
 * gathers small pieces), {@code --alpn} (server ALPN on, client offers {@code http/1.1}), {@code --allocator} (Conscrypt's
 * {@code setBufferAllocator} with its unpooled allocator),
 * {@code --cert F --key F} (another key, e.g. RSA 2048; an EC P-256 self-signed one otherwise).
 * Under {@code LD_PRELOAD} of the {@code malltrack} tracker ({@code benchmarks/c/malltrack.c}) each
 * reading is also marked (markers 0 to 4: start, empty, a third kept, all kept, all released), so
 * that the tracker dumps Conscrypt's live allocations by call site; {@code
 * benchmarks/malltrack_diff.py} turns two markers into bytes per engine by site and JNI entry.
 * Findings: 40,560 B malloc'd per idle engine, 15.6 KiB of it resident, 35,152 B of it the BIO
 * pair's two 17 KiB rings (Conscrypt 2.9.0, TLS 1.3, EC P-256, x25519).
 *
 * <pre>
 * java -Xms1g -Xmx1g -XX:+AlwaysPreTouch -XX:TieredStopAtLevel=1 \
 *     -cp benchmarks/target/benchmarks.jar org.jevent.benchmarks.echo.IdleTlsNative --engines 3000
 * gcc -O2 -shared -fPIC -o /tmp/malltrack.so benchmarks/c/malltrack.c -ldl
 * MALLTRACK_OUT=/tmp/mt.out LD_PRELOAD=/tmp/malltrack.so java ... IdleTlsNative --engines 3000
 * python3 benchmarks/malltrack_diff.py /tmp/mt.out CONSCRYPT_JNI_SO 2 3 2000
 * </pre>
 */
public final class IdleTlsNative {
    /** The tracker dumps when it sees an allocation of this many bytes plus the marker's number. */
    private static final long MARK_BASE = 7_654_000L;
    private static final int RECORD_HEADER = 5;
    private static final int NET_BUFFER = 64 * 1024;

    private final SslContexts server;
    private final SslContexts client;
    private final boolean tickets;
    private final boolean readSession;
    private final String data;
    private final boolean allocator;
    private final ByteBuffer c2s = ByteBuffer.allocate(NET_BUFFER);
    private final ByteBuffer s2c = ByteBuffer.allocateDirect(NET_BUFFER);
    private final ByteBuffer serverIn = ByteBuffer.allocateDirect(NET_BUFFER);
    private final ByteBuffer serverApp = ByteBuffer.allocateDirect(NET_BUFFER);
    private final ByteBuffer clientIn = ByteBuffer.allocate(NET_BUFFER);
    private final ByteBuffer clientApp = ByteBuffer.allocate(NET_BUFFER);
    private final ByteBuffer[] reply = {ByteBuffer.allocateDirect(32), ByteBuffer.allocateDirect(32)};
    private final ByteBuffer scratch = ByteBuffer.allocateDirect(NET_BUFFER);
    private static final ByteBuffer[] NOTHING = {ByteBuffer.allocateDirect(0)};

    private IdleTlsNative(SslContexts server, SslContexts client, boolean tickets, boolean readSession, String data,
            boolean allocator) {
        this.server = server;
        this.client = client;
        this.tickets = tickets;
        this.readSession = readSession;
        this.data = data;
        this.allocator = allocator;
    }

    /**
     * Runs the measurement.
     *
     * @param args {@code [--engines N] [--warm W] [--tickets on|off] [--session] [--data none|single|gathered]
     *     [--alpn] [--allocator] [--cert PEM --key PEM]}
     * @throws Exception if a handshake fails
     */
    public static void main(String[] args) throws Exception {
        int engines = 3000;
        int warm = 3000;
        boolean tickets = true;
        boolean session = false;
        boolean alpn = false;
        boolean allocator = false;
        String data = "none";
        Path cert = null;
        Path key = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--engines" -> engines = Integer.parseInt(args[++i]);
                case "--warm" -> warm = Integer.parseInt(args[++i]);
                case "--tickets" -> tickets = !"off".equals(args[++i]);
                case "--session" -> session = true;
                case "--alpn" -> alpn = true;
                case "--allocator" -> allocator = true;
                case "--data" -> data = args[++i];
                case "--cert" -> cert = Path.of(args[++i]);
                case "--key" -> key = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (!List.of("none", "single", "gathered").contains(data)) {
            throw new IllegalArgumentException("--data none|single|gathered: " + data);
        }
        SslContexts.Builder b = cert != null ? SslContexts.forServer(cert, key)
                : SslContexts.forServer(SelfSignedCertificate.generate());
        if (alpn) {
            b.alpn("h2", "http/1.1");
        }
        // The JDK's provider, pure Java: no native memory of its own beside the server engines'.
        SslContexts.Builder c = SslContexts.forClient().provider(SslProvider.JDK).trustAllInsecure();
        if (alpn) {
            c.alpn("http/1.1");
        }
        IdleTlsNative probe = new IdleTlsNative(b.build(), c.build(), tickets, session, data, allocator);
        System.out.printf(Locale.ROOT, "engines %d, warm-up %d, tickets %s, session %s, data %s, alpn %s, allocator %s,"
                + " cert %s%n", engines, warm, tickets ? "on" : "off", session, data, alpn, allocator,
                cert == null ? "EC P-256 self-signed" : cert);
        probe.run(engines, warm);
    }

    private void run(int engines, int warm) throws Exception {
        for (int i = 0; i < warm; i++) {
            release(handshake());
        }
        mark(0); // the tracker finds Conscrypt's library now and tracks from here on
        long[] empty = reading(1);
        List<SSLEngine> kept = new ArrayList<>(engines);
        int third = engines / 3;
        while (kept.size() < third) {
            kept.add(handshake());
        }
        long[] atThird = reading(2);
        while (kept.size() < engines) {
            kept.add(handshake());
        }
        long[] all = reading(3);
        for (SSLEngine e : kept) {
            release(e);
        }
        kept.clear();
        long[] freed = reading(4);
        int more = engines - third;
        System.out.printf(Locale.ROOT, "Rss  KiB: empty %d, third %d, all %d, freed %d%n", empty[0] / 1024,
                atThird[0] / 1024, all[0] / 1024, freed[0] / 1024);
        System.out.printf(Locale.ROOT, "per engine (marginal, %d engines): Rss %.0f B, Anonymous %.0f B;"
                + " from empty: Rss %.0f B%n", more, (all[0] - atThird[0]) / (double) more,
                (all[1] - atThird[1]) / (double) more, (all[0] - empty[0]) / (double) engines);
    }

    /** A server engine that finished its handshake (and, with {@code --data}, one echo). */
    private SSLEngine handshake() throws SSLException {
        SSLEngine s = server.newServerEngine();
        if (!tickets) {
            Conscrypt.setUseSessionTickets(s, false);
        }
        if (allocator) {
            Conscrypt.setBufferAllocator(s, BufferAllocator.unpooled());
        }
        SSLEngine c = client.newClientEngine("localhost", 443);
        c2s.clear();
        s2c.clear();
        c.beginHandshake();
        s.beginHandshake();
        for (int round = 0; round < 50 && (busy(c) || busy(s)); round++) {
            clientStep(c);
            serverStep(s);
        }
        if (busy(c) || busy(s)) {
            throw new SSLException("handshake did not finish: client " + c.getHandshakeStatus() + ", server "
                    + s.getHandshakeStatus());
        }
        if (readSession) {
            SSLSession session = s.getSession();
            if (session.getProtocol() == null || session.getCipherSuite() == null || session.getId() == null) {
                throw new SSLException("no session");
            }
            session.getLocalCertificates();
        }
        if (!"none".equals(data)) {
            echo(c, s);
        }
        return s;
    }

    private static boolean busy(SSLEngine e) {
        HandshakeStatus h = e.getHandshakeStatus();
        return h != HandshakeStatus.NOT_HANDSHAKING && h != HandshakeStatus.FINISHED;
    }

    private void clientStep(SSLEngine c) throws SSLException {
        for (int i = 0; i < 10; i++) {
            HandshakeStatus h = c.getHandshakeStatus();
            if (h == HandshakeStatus.NEED_TASK) {
                runTasks(c);
            } else if (h == HandshakeStatus.NEED_WRAP) {
                c.wrap(ByteBuffer.allocate(0), c2s);
            } else if (h == HandshakeStatus.NEED_UNWRAP && s2c.position() > 0) {
                clientUnwrapAll(c);
            } else {
                return;
            }
        }
    }

    private void clientUnwrapAll(SSLEngine c) throws SSLException {
        s2c.flip();
        clientIn.clear();
        clientIn.put(s2c);
        s2c.clear();
        clientIn.flip();
        while (clientIn.hasRemaining()) {
            clientApp.clear();
            SSLEngineResult r = c.unwrap(clientIn, clientApp);
            HandshakeStatus h = r.getHandshakeStatus();
            for (int i = 0; i < 10 && (h == HandshakeStatus.NEED_TASK || h == HandshakeStatus.NEED_WRAP); i++) {
                // the JDK client answers in the middle of a flight (a ChangeCipherSpec after the ServerHello)
                if (h == HandshakeStatus.NEED_TASK) {
                    runTasks(c);
                } else {
                    c.wrap(ByteBuffer.allocate(0), c2s);
                }
                h = c.getHandshakeStatus();
            }
            if (r.bytesConsumed() == 0 && h != HandshakeStatus.NEED_UNWRAP) {
                break;
            }
        }
        if (clientIn.hasRemaining()) {
            throw new SSLException("client left " + clientIn.remaining() + " bytes");
        }
    }

    private void serverStep(SSLEngine s) throws SSLException {
        if (c2s.position() > 0) {
            serverUnwrapRecords(s);
        }
        for (int i = 0; i < 10 && s.getHandshakeStatus() == HandshakeStatus.NEED_WRAP; i++) {
            s.wrap(NOTHING, s2c);
        }
    }

    /** Feeds what the client wrote to the server one record at a time, as {@code TlsPump} does. */
    private void serverUnwrapRecords(SSLEngine s) throws SSLException {
        c2s.flip();
        while (c2s.remaining() >= RECORD_HEADER) {
            int len = RECORD_HEADER + (((c2s.get(c2s.position() + 3) & 0xff) << 8) | (c2s.get(c2s.position() + 4) & 0xff));
            serverIn.clear();
            ByteBuffer one = c2s.duplicate();
            one.limit(one.position() + len);
            serverIn.put(one).flip();
            c2s.position(c2s.position() + len);
            serverApp.clear();
            SSLEngineResult r = s.unwrap(serverIn, serverApp);
            if (r.bytesConsumed() != len) {
                throw new SSLException("server consumed " + r.bytesConsumed() + " of a " + len + "-byte record: " + r);
            }
            for (int i = 0; i < 10 && s.getHandshakeStatus() == HandshakeStatus.NEED_WRAP; i++) {
                s.wrap(NOTHING, s2c);
            }
        }
        c2s.compact();
    }

    /** 64 bytes from the client, echoed by the server from one buffer or two (gathered). */
    private void echo(SSLEngine c, SSLEngine s) throws SSLException {
        c.wrap(ByteBuffer.wrap(new byte[64]), c2s);
        serverUnwrapRecords(s);
        if (serverApp.position() != 64) {
            throw new SSLException("server read " + serverApp.position() + " of 64 bytes");
        }
        reply[0].clear().limit(32);
        reply[1].clear().limit(32);
        SSLEngineResult r = "gathered".equals(data) ? s.wrap(reply, s2c)
                : s.wrap(serverApp.flip(), s2c);
        if (r.bytesConsumed() != 64) {
            throw new SSLException("server wrapped " + r.bytesConsumed() + " of 64 bytes: " + r);
        }
        clientUnwrapAll(c);
    }

    /** What {@code TlsPump.releaseEngine} does for Conscrypt: both ways closed, the close_notify taken out. */
    private void release(SSLEngine s) throws SSLException {
        s.closeOutbound();
        s.closeInbound();
        scratch.clear();
        s.wrap(NOTHING, scratch);
        if (!s.isOutboundDone()) {
            throw new SSLException("engine not released");
        }
    }

    private static void runTasks(SSLEngine e) {
        Runnable t;
        while ((t = e.getDelegatedTask()) != null) {
            t.run();
        }
    }

    /** Rss and Anonymous (bytes) after two collections, and a tracker marker if one is loaded. */
    private static long[] reading(int marker) throws Exception {
        System.gc();
        System.gc();
        Thread.sleep(300);
        mark(marker);
        long rss = 0;
        long anon = 0;
        for (String l : Files.readAllLines(Path.of("/proc/self/smaps_rollup"))) {
            if (l.startsWith("Rss:")) {
                rss = kib(l);
            } else if (l.startsWith("Anonymous:")) {
                anon = kib(l);
            }
        }
        return new long[] {rss, anon};
    }

    private static long kib(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
    }

    /** Under the tracker, an allocation of {@code MARK_BASE + k} bytes makes it dump; otherwise nothing. */
    private static void mark(int k) throws ReflectiveOperationException {
        String preload = System.getenv("LD_PRELOAD");
        if (preload == null || !preload.contains("malltrack")) {
            return;
        }
        // sun.misc.Unsafe by reflection: its allocateMemory is a plain malloc that nothing writes
        // into (a direct ByteBuffer would zero it), and the tracker answers a marker with 16 bytes.
        Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
        Field f = unsafeClass.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        Object u = f.get(null);
        long address = (long) unsafeClass.getMethod("allocateMemory", long.class).invoke(u, MARK_BASE + 8L * k);
        unsafeClass.getMethod("freeMemory", long.class).invoke(u, address); // the JVM rounds sizes up to 8
    }
}
