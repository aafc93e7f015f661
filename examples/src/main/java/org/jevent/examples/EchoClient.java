package org.jevent.examples;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.ssl.SslBufferevent;
import org.jevent.bufferevent.ssl.SslContexts;
import org.jevent.bufferevent.ssl.SslState;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;
import org.jevent.evbuffer.EvBuffer;

/**
 * A load client for {@link EchoServer} (or any echo server): C connections on one event base, each
 * keeping D messages of S bytes in flight for T seconds. Every byte that comes back is checked
 * against the byte sent at that offset of the stream (a per-connection pseudo-random sequence,
 * so a lost, repeated or reordered chunk is caught); the latency of a message is the time from
 * its write to the arrival of its last byte. Prints messages/s, MB/s and latency percentiles;
 * exits 0 only if every byte matched and every connection ended cleanly (TLS: close_notify
 * both ways).
 */
final class EchoClient {
    static final String SUMMARY = "load client for echo-server: verifies every byte, prints rates and latency";
    private static final String USAGE = String.join("\n",
            "usage: echo-client --host H --port P [--tls] [--cafile PEM] [--provider conscrypt|jdk|tcnative]",
            "                   [--connections C] [--size S] [--depth D] [--seconds T]",
            "  --host H           server address (default 127.0.0.1)",
            "  --port P           server port (default 9995)",
            "  --tls              speak TLS; without --cafile any server certificate is accepted",
            "  --cafile PEM       trust only these certificates (and check the host name)",
            "  --provider P       TLS provider: conscrypt (default), jdk or tcnative",
            "  --connections C    connections (default 4)",
            "  --size S           bytes per message (default 64)",
            "  --depth D          messages in flight per connection (default 1)",
            "  --seconds T        how long to send (default 5; fractions allowed)",
            "Exit status 0 only if every echoed byte matched and every connection closed cleanly.");

    private final PrintStream out;
    private EventBase base;
    private int size;
    private int depth;
    private final List<Conn> conns = new ArrayList<>();
    private boolean stopping;
    private String failure;
    private int finished;
    private long[] latencies = new long[1 << 16];
    private int nLatencies;
    private long messages;
    private long startNanos;
    private long stopNanos;

    private EchoClient(PrintStream out) {
        this.out = out;
    }

    static int run(String[] args, PrintStream out) {
        return Opts.runExample("echo-client", USAGE, args, out,
                o -> o.flag("--tls").value("--host", "--port", "--cafile", "--provider", "--connections", "--size",
                        "--depth", "--seconds"),
                o -> {
                    if (o.getInt("--connections", 4) < 1 || o.getInt("--size", 64) < 1 || o.getInt("--depth", 1) < 1
                            || o.getDouble("--seconds", 5) <= 0) {
                        throw new IllegalArgumentException("connections, size, depth and seconds must be positive");
                    }
                    o.getInt("--port", 0);
                },
                o -> new EchoClient(out).main(o));
    }

    private int main(Opts opts) {
        String host = opts.get("--host", "127.0.0.1");
        int port = opts.getInt("--port", 9995);
        int connections = opts.getInt("--connections", 4);
        size = opts.getInt("--size", 64);
        depth = opts.getInt("--depth", 1);
        Duration seconds = Duration.ofNanos((long) (opts.getDouble("--seconds", 5) * 1e9));
        SslContexts tls = null;
        if (opts.has("--tls") || opts.has("--cafile")) {
            try {
                tls = clientContext(opts);
            } catch (Exception e) {
                out.println("echo-client: TLS setup failed: " + e.getMessage());
                return 1;
            }
        }
        InetSocketAddress address = new InetSocketAddress(host, port);
        base = new EventBase();
        try {
            for (int i = 0; i < connections; i++) {
                Conn c = new Conn(i);
                conns.add(c);
                if (tls != null) {
                    SslBufferevent s = SslBufferevent.socket(base, null, tls.newClientEngine(host, port),
                            SslState.CONNECTING, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
                    c.bev = s;
                    c.bev.setCallbacks(c::readcb, null, c::eventcb);
                    c.bev.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
                    s.connect(address);
                } else {
                    var s = Bufferevent.socket(base, null, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
                    c.bev = s;
                    c.bev.setCallbacks(c::readcb, null, c::eventcb);
                    c.bev.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
                    s.connect(address);
                }
            }
            startNanos = System.nanoTime();
            Event stop = Event.timer(base, (ev, what) -> stopSending());
            stop.add(seconds);
            // Bound everything: echoes still owed and closes must finish within 10 s of the stop.
            Event watchdog = Event.timer(base, (ev, what) -> {
                fail("gave up: " + (conns.size() - finished) + " connection(s) did not finish within 10 s of the stop");
                base.loopBreak();
            });
            watchdog.add(seconds.plusSeconds(10));
            base.dispatch();
            stop.free();
            watchdog.free();
            for (Conn c : conns) {
                if (!c.bev.isFreed()) {
                    c.bev.free();
                }
            }
        } finally {
            base.free();
        }
        report(tls != null);
        return failure == null && messages > 0 ? 0 : 1;
    }

    private static SslContexts clientContext(Opts opts) throws Exception {
        SslContexts.Builder b = SslContexts.forClient();
        if (opts.has("--cafile")) {
            b.trustPem(Path.of(opts.get("--cafile", null)));
        } else {
            b.trustAllInsecure(); // a load test against a throw-away self-signed certificate
        }
        return b.provider(ServerSupport.provider(opts)).build();
    }

    private void stopSending() {
        stopping = true;
        stopNanos = System.nanoTime();
        for (Conn c : conns) {
            c.maybeClose();
        }
    }

    private void fail(String why) {
        if (failure == null) {
            failure = why;
        }
    }

    private void recordLatency(long nanos) {
        if (nLatencies == latencies.length) {
            latencies = Arrays.copyOf(latencies, latencies.length * 2);
        }
        latencies[nLatencies++] = nanos;
        messages++;
    }

    private void report(boolean tls) {
        double secs = ((stopNanos == 0 ? System.nanoTime() : stopNanos) - startNanos) / 1e9;
        long bytes = messages * size;
        out.printf("echo-client: %d connection(s), %d-byte messages, depth %d, %s%s%n", conns.size(), size, depth,
                tls ? "TLS" : "plaintext", conns.isEmpty() || conns.get(0).protocol == null ? "" : " " + conns.get(0).protocol);
        out.printf("messages: %d in %.2f s: %.0f messages/s, %.2f MB/s each way%n", messages, secs, messages / secs,
                bytes / secs / 1e6);
        if (nLatencies > 0) {
            long[] l = Arrays.copyOf(latencies, nLatencies);
            Arrays.sort(l);
            out.printf("latency: p50 %.1f us, p99 %.1f us, p999 %.1f us, max %.1f us%n", pct(l, 0.50) / 1e3,
                    pct(l, 0.99) / 1e3, pct(l, 0.999) / 1e3, l[l.length - 1] / 1e3);
        }
        out.println(failure == null ? "result: ok, every echoed byte verified" : "result: FAILED: " + failure);
        out.flush();
    }

    private static long pct(long[] sorted, double p) {
        int i = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /** The byte at {@code offset} of connection {@code id}'s stream: a cheap hash, not periodic. */
    static byte pattern(int id, long offset) {
        long x = offset * 0x9E3779B97F4A7C15L + (id + 1) * 0xC2B2AE3D27D4EB4FL;
        x ^= x >>> 29;
        x *= 0xBF58476D1CE4E5B9L;
        return (byte) (x >>> 32);
    }

    private final class Conn {
        final int id;
        Bufferevent bev;
        final long[] sendTimes = new long[depth];
        final byte[] message = new byte[size];
        final byte[] scratch = new byte[64 * 1024];
        long sent; // messages written
        long received; // messages fully echoed
        long receivedBytes; // bytes verified
        boolean started;
        boolean closing;
        boolean done;
        String protocol;

        Conn(int id) {
            this.id = id;
        }

        void send() {
            long offset = sent * size;
            for (int i = 0; i < size; i++) {
                message[i] = pattern(id, offset + i);
            }
            sendTimes[(int) (sent % depth)] = System.nanoTime();
            sent++;
            bev.write(message);
        }

        void readcb(Bufferevent b) {
            EvBuffer in = b.getInput();
            int n;
            while ((n = in.remove(scratch)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (scratch[i] != pattern(id, receivedBytes + i)) {
                        fail("connection " + id + ": byte " + (receivedBytes + i) + " differs from what was sent");
                        finish(b);
                        return;
                    }
                }
                receivedBytes += n;
                if (receivedBytes > sent * size) {
                    fail("connection " + id + ": more bytes came back than were sent");
                    finish(b);
                    return;
                }
                long now = System.nanoTime();
                while (received < sent && receivedBytes >= (received + 1) * size) {
                    recordLatency(now - sendTimes[(int) (received % depth)]);
                    received++;
                    if (!stopping) {
                        send();
                    }
                }
            }
            maybeClose();
        }

        void eventcb(Bufferevent b, int what) {
            if ((what & Bufferevent.BEV_EVENT_CONNECTED) != 0) {
                if (!started) {
                    started = true;
                    if (b instanceof SslBufferevent s) {
                        protocol = s.getEngine().getSession().getProtocol();
                    }
                    for (int i = 0; i < depth && !stopping; i++) {
                        send();
                    }
                    maybeClose();
                }
                return;
            }
            if (closing && (what & Bufferevent.BEV_EVENT_EOF) != 0 && (what & Bufferevent.BEV_EVENT_ERROR) == 0) {
                if ((what & Bufferevent.BEV_EVENT_TIMEOUT) != 0) {
                    fail("connection " + id + ": the server did not answer close_notify");
                }
                finish(b); // our shutdown completed
                return;
            }
            String why = (what & Bufferevent.BEV_EVENT_EOF) != 0 ? "the server closed the connection"
                    : (what & Bufferevent.BEV_EVENT_TIMEOUT) != 0 ? "timeout"
                    : "error: " + (b instanceof SslBufferevent s && !s.getSslErrors().isEmpty()
                            ? s.getSslErrors().get(0).describe() : String.valueOf(b.getLastError()));
            fail("connection " + id + ": " + why + " (event 0x" + Integer.toHexString(what) + ")");
            finish(b);
        }

        /** After the stop: once every echo is back, close (TLS: close_notify, wait for the server's). */
        void maybeClose() {
            if (!stopping || closing || done || !started || received < sent) {
                if (stopping && !started && !done) {
                    fail("connection " + id + " was not connected when the time was up");
                    finish(bev);
                }
                return;
            }
            closing = true;
            if (bev instanceof SslBufferevent s) {
                s.shutdown(Duration.ofSeconds(5));
            } else {
                finish(bev);
            }
        }

        void finish(Bufferevent b) {
            if (done) {
                return;
            }
            done = true;
            b.free();
            if (++finished == conns.size()) {
                base.loopExit();
            }
        }
    }
}
