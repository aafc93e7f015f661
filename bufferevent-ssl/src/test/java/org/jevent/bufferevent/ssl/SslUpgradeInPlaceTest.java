package org.jevent.bufferevent.ssl;

import static org.jevent.bufferevent.Bufferevent.BEV_OPT_CLOSE_ON_FREE;
import static org.jevent.bufferevent.Bufferevent.EV_READ;
import static org.jevent.bufferevent.Bufferevent.EV_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * In-place upgrade, PostgreSQL SSLRequest style: a plaintext bufferevent reads the 8-byte
 * request, answers 'S', and a TLS filter is layered on the live bufferevent (ACCEPTING); the
 * client layers CONNECTING after reading 'S'. Plaintext pipelined before the handshake must give
 * ERROR naming the bytes, and never be delivered.
 */
@Timeout(60)
class SslUpgradeInPlaceTest {
    /** int32 length 8, int32 code 80877103 (1234 << 16 | 5679). */
    static final byte[] SSL_REQUEST = ByteBuffer.allocate(8).putInt(8).putInt(80877103).array();
    static final byte[] PIPELINED = "EVIL".getBytes(StandardCharsets.US_ASCII);

    private final EventBase base = new EventBase();

    @AfterEach
    void free() {
        base.free();
    }

    @ParameterizedTest(name = "{0} {1} {2} pipelined={3}")
    @CsvSource({
        "CONSCRYPT,TLSv1.3,FILTER_PAIR,false", "CONSCRYPT,TLSv1.3,FILTER_SOCKET,false",
        "CONSCRYPT,TLSv1.2,FILTER_PAIR,false", "JDK,TLSv1.2,FILTER_SOCKET,false",
        "JDK,TLSv1.3,FILTER_PAIR,false", "JDK,TLSv1.3,FILTER_SOCKET,false",
        "CONSCRYPT,TLSv1.3,FILTER_PAIR,true", "CONSCRYPT,TLSv1.3,FILTER_SOCKET,true",
        "JDK,TLSv1.3,FILTER_PAIR,true", "JDK,TLSv1.2,FILTER_SOCKET,true",
        "TCNATIVE,TLSv1.3,FILTER_SOCKET,false", "TCNATIVE,TLSv1.2,FILTER_PAIR,true"})
    void sslRequestUpgrade(SslProvider impl, String protocol, TlsHarness.Variant v, boolean pipelined)
            throws Exception {
        SocketChannel[] ch = v == TlsHarness.Variant.FILTER_PAIR ? new SocketChannel[2] : TlsHarness.loopbackPair();
        Bufferevent[] plain = TlsHarness.transports(base, v, ch);
        SslBufferevent[] tls = new SslBufferevent[2];
        List<String> serverEvents = new ArrayList<>();
        List<String> clientEvents = new ArrayList<>();
        StringBuilder serverGot = new StringBuilder();
        StringBuilder clientGot = new StringBuilder();
        String[] refusal = new String[1];

        // Server: plaintext until the SSLRequest, then TLS on the same bufferevent.
        plain[1].setCallbacks(b -> {
            if (b.getInput().getLength() < 8 || tls[1] != null) {
                return;
            }
            byte[] req = new byte[8];
            b.read(req);
            assertEquals(ByteBuffer.wrap(SSL_REQUEST), ByteBuffer.wrap(req));
            b.write(new byte[] {'S'});
            try {
                tls[1] = SslBufferevent.filter(base, b, TlsTestSupport.engine(impl, false, protocol), SslState.ACCEPTING,
                        BEV_OPT_CLOSE_ON_FREE);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            tls[1].setCallbacks(t -> {
                byte[] a = new byte[(int) t.getInput().getLength()];
                t.read(a);
                serverGot.append(new String(a, StandardCharsets.US_ASCII));
                t.write(a);
            }, null, (t, what) -> {
                serverEvents.add(TlsHarness.ev(what));
                if ((what & Bufferevent.BEV_EVENT_ERROR) != 0) {
                    SslError e = ((SslBufferevent) t).getSslError();
                    refusal[0] = e == null ? "no error queued" : e.describe();
                }
            });
            tls[1].enable(EV_READ | EV_WRITE);
        }, null, (b, what) -> serverEvents.add("plain " + TlsHarness.ev(what)));
        plain[1].enable(EV_READ | EV_WRITE);

        // Client: sends the request (and maybe plaintext right behind it), upgrades on 'S'.
        plain[0].setCallbacks(b -> {
            if (tls[0] != null || b.getInput().getLength() < 1) {
                return;
            }
            byte[] s = new byte[1];
            b.read(s);
            assertEquals('S', s[0]);
            try {
                tls[0] = SslBufferevent.filter(base, b, TlsTestSupport.engine(impl, true, protocol), SslState.CONNECTING,
                        BEV_OPT_CLOSE_ON_FREE);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            tls[0].setCallbacks(t -> {
                byte[] a = new byte[(int) t.getInput().getLength()];
                t.read(a);
                clientGot.append(new String(a, StandardCharsets.US_ASCII));
            }, null, (t, what) -> clientEvents.add(TlsHarness.ev(what)));
            tls[0].enable(EV_READ | EV_WRITE);
            tls[0].write("over tls".getBytes(StandardCharsets.US_ASCII));
        }, null, (b, what) -> clientEvents.add("plain " + TlsHarness.ev(what)));
        plain[0].enable(EV_READ | EV_WRITE);
        byte[] first = pipelined ? concat(SSL_REQUEST, PIPELINED) : SSL_REQUEST;
        plain[0].write(first); // one write: the server reads request and plaintext together

        if (!pipelined) {
            TlsHarness.runUntil(base, () -> clientGot.toString().equals("over tls"), Duration.ofSeconds(20));
            assertEquals(List.of("CONNECTED"), serverEvents);
            assertEquals(List.of("CONNECTED"), clientEvents);
            assertEquals("over tls", serverGot.toString());
            assertEquals(protocol, tls[0].getEngine().getSession().getProtocol());
        } else {
            TlsHarness.runUntil(base, () -> refusal[0] != null, Duration.ofSeconds(20));
            TlsHarness.runFor(base, Duration.ofMillis(100));
            assertEquals(List.of("READING|ERROR"), serverEvents);
            assertNotNull(refusal[0]);
            assertTrue(refusal[0].contains("45 56 49 4c"), refusal[0]); // "EVIL", named
            assertTrue(refusal[0].contains("4 bytes"), refusal[0]);
            assertEquals("", serverGot.toString(), "the pipelined plaintext is never delivered");
            assertTrue(tls[1].getInput().getLength() == 0);
        }
        for (int i = 0; i < 2; i++) {
            if (tls[i] != null) {
                tls[i].free();
            } else {
                plain[i].free();
            }
        }
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
