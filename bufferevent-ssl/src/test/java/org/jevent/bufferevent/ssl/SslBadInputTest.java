package org.jevent.bufferevent.ssl;

import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_ERROR;
import static org.jevent.bufferevent.Bufferevent.EV_READ;
import static org.jevent.bufferevent.Bufferevent.EV_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.EndReason;
import org.jevent.eventbase.EvConnListener;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Bad input to a TLS server on loopback: each bad connection ends with ERROR and a readable
 * reason in getSslError(), while a healthy TLS connection on the same base completes.
 */
@Timeout(60)
class SslBadInputTest {
    private final EventBase base = new EventBase();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void free() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        base.free();
    }

    enum Bad {
        RANDOM, HTTP, TRUNCATED, OVERSIZED
    }

    /** One server connection: its bufferevent, events and first error. */
    static final class Conn {
        SslBufferevent bev;
        final List<String> events = new ArrayList<>();
        String reason;
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource({
        "CONSCRYPT,TLSv1.3,RANDOM", "CONSCRYPT,TLSv1.3,HTTP", "CONSCRYPT,TLSv1.3,TRUNCATED", "CONSCRYPT,TLSv1.3,OVERSIZED",
        "CONSCRYPT,TLSv1.2,HTTP", "CONSCRYPT,TLSv1.2,TRUNCATED",
        "JDK,TLSv1.3,RANDOM", "JDK,TLSv1.3,HTTP", "JDK,TLSv1.3,TRUNCATED", "JDK,TLSv1.3,OVERSIZED",
        "JDK,TLSv1.2,RANDOM", "JDK,TLSv1.2,OVERSIZED",
        "TCNATIVE,TLSv1.3,RANDOM", "TCNATIVE,TLSv1.3,TRUNCATED", "TCNATIVE,TLSv1.2,HTTP", "TCNATIVE,TLSv1.2,OVERSIZED"})
    void badInputEndsThatConnectionOnly(SslProvider impl, String protocol, Bad bad) throws Exception {
        List<Conn> conns = new ArrayList<>();
        EvConnListener listener = EvConnListener.newBind(base, (l, ch, peer) -> {
            Conn c = new Conn();
            try {
                c.bev = SslBufferevent.socket(base, ch, TlsTestSupport.engine(impl, false, protocol), SslState.ACCEPTING,
                        Bufferevent.BEV_OPT_CLOSE_ON_FREE);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            c.bev.setCallbacks(b -> b.writeBuffer(b.getInput()), null, (b, what) -> {
                c.events.add(TlsHarness.ev(what));
                if ((what & BEV_EVENT_ERROR) != 0) {
                    SslError e = c.bev.getSslError();
                    c.reason = e == null ? null : e.describe();
                    b.free();
                }
            });
            c.bev.enable(EV_READ | EV_WRITE);
            conns.add(c);
        }, EvConnListener.LEV_OPT_CLOSE_ON_FREE | EvConnListener.LEV_OPT_REUSEABLE, -1,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        toClose.add(listener);
        SocketAddress addr = listener.getLocalAddress();

        // The bad client: a plain blocking channel, written before the loop runs (loopback
        // buffers take a few bytes at once).
        SocketChannel raw = SocketChannel.open(addr);
        toClose.add(raw);
        raw.write(ByteBuffer.wrap(badBytes(bad)));
        if (bad == Bad.TRUNCATED) {
            raw.shutdownOutput(); // EOF in the middle of the record
        }

        // The healthy client, on the same base.
        SslBufferevent client = SslBufferevent.socket(base, null, TlsTestSupport.engine(impl, true, protocol),
                SslState.CONNECTING, 0);
        StringBuilder echoed = new StringBuilder();
        List<String> clientEvents = new ArrayList<>();
        client.setCallbacks(b -> {
            byte[] a = new byte[(int) b.getInput().getLength()];
            b.read(a);
            echoed.append(new String(a, StandardCharsets.US_ASCII));
        }, null, (b, what) -> clientEvents.add(TlsHarness.ev(what)));
        client.enable(EV_READ | EV_WRITE);
        client.connect(addr);
        client.write("healthy".getBytes(StandardCharsets.US_ASCII));

        TlsHarness.runUntil(base, () -> echoed.toString().equals("healthy")
                && conns.stream().anyMatch(c -> c.reason != null || c.events.stream().anyMatch(e -> e.contains("ERROR"))),
                Duration.ofSeconds(20));
        assertEquals(List.of("CONNECTED"), clientEvents);
        assertEquals(2, conns.size());
        Conn badConn = conns.stream().filter(c -> !c.events.contains("CONNECTED")).findFirst().orElseThrow();
        assertEquals(1, badConn.events.size(), badConn.events::toString);
        assertTrue((badConn.events.get(0).contains("ERROR")), badConn.events::toString);
        assertNotNull(badConn.reason, "a readable reason in getSslError()");
        String expected = switch (bad) {
            case HTTP -> "plaintext?";
            case TRUNCATED -> "closed during the TLS handshake";
            case OVERSIZED -> "out of range";
            case RANDOM -> "";
        };
        assertTrue(badConn.reason.contains(expected), badConn.reason);
        // A stream ending mid-handshake, or bytes that are not TLS (no alert either way).
        EndReason why = badConn.bev.getEndReason();
        if (bad == Bad.TRUNCATED) {
            assertEquals(EndReason.HANDSHAKE_EOF, why);
        } else {
            assertEquals(EndReason.TLS_ERROR, why, "the record header was refused before the engine saw it");
        }
        System.out.println(impl + " " + protocol + " " + bad + ": " + badConn.events + " " + badConn.reason);
        client.free();
        for (Conn c : conns) {
            if (!c.bev.isFreed()) {
                c.bev.free();
            }
        }
        assertTrue(conns.stream().filter(c -> c.events.contains("CONNECTED")).count() == 1);
    }

    static byte[] badBytes(Bad bad) {
        return switch (bad) {
            case RANDOM -> {
                byte[] b = new byte[300];
                new Random(42).nextBytes(b);
                yield b;
            }
            case HTTP -> "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            // A handshake record announcing 64 bytes, of which 10 come.
            case TRUNCATED -> new byte[] {0x16, 0x03, 0x01, 0x00, 0x40, 1, 0, 0, 0x3c, 3, 3, 0, 0, 0, 0};
            case OVERSIZED -> new byte[] {0x16, 0x03, 0x03, (byte) 0xff, (byte) 0xff, 1, 0, 0, 0};
        };
    }
}
