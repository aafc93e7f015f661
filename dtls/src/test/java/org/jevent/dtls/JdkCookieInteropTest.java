package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.Test;

/**
 * Measures whether the JDK's DTLS server engine accepts a cookie that we minted (it does not),
 * and why rewriting the cookie cannot work either; these facts decide {@link JdkCookieScheme}.
 */
class JdkCookieInteropTest {
    private static final InetSocketAddress PEER = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40_000);
    private static final int HELLO_VERIFY_REQUEST = 3;
    private static final int SERVER_HELLO = 2;

    private final JdkDtls servers;
    private final JdkDtls clients;

    JdkCookieInteropTest() throws Exception {
        servers = LoopTest.jdkServer(1400);
        clients = LoopTest.jdkClient(1400);
    }

    private SSLEngine client() throws SSLException {
        SSLEngine c = clients.newClientEngineRaw("localhost", 4433);
        c.beginHandshake();
        return c;
    }

    private SSLEngine server() throws SSLException {
        SSLEngine s = servers.newConfiguredServerEngine();
        s.beginHandshake();
        return s;
    }

    /** ClientHello #2 carrying our HMAC cookie, obtained through our HelloVerifyRequest. */
    private ByteBuffer helloWithOurCookie(SSLEngine client, HelloVerifier ours) throws SSLException {
        List<ByteBuffer> ch1 = MemoryDtls.drain(client);
        assertEquals(1, ch1.size());
        ByteBuffer hvr = ByteBuffer.allocate(512);
        assertEquals(HelloVerifier.Verdict.HELLO_VERIFY_REQUEST, ours.verify(ch1.get(0), PEER, 0, hvr));
        List<ByteBuffer> ch2 = MemoryDtls.feed(client, hvr);
        assertEquals(1, ch2.size(), "the JDK client answers our HelloVerifyRequest with one ClientHello");
        assertEquals(HelloVerifier.Verdict.VERIFIED, ours.verify(ch2.get(0), PEER, 0, hvr));
        return ch2.get(0);
    }

    /** A client past our HelloVerifyRequest, and a JDK server engine fed the cookie-less ClientHello #1. */
    private record Primed(SSLEngine client, ByteBuffer ch2, SSLEngine server, ByteBuffer jdkHvr, ClientHelloView hello) {
    }

    private Primed primeWithOurCookie() throws Exception {
        HelloVerifier ours = new HelloVerifier(new HmacCookieScheme(), new HvrRateLimiter(10, 10));
        SSLEngine client = client();
        ByteBuffer ch2 = helloWithOurCookie(client, ours);
        SSLEngine server = server();
        ByteBuffer ch1 = ByteBuffer.allocate(2048);
        ours.hello().writeWithoutCookie(ch1);
        ch1.flip();
        List<ByteBuffer> hvr = MemoryDtls.feed(server, ch1);
        assertEquals(HELLO_VERIFY_REQUEST, MemoryDtls.firstHandshakeType(hvr.get(0)));
        return new Primed(client, ch2, server, hvr.get(0), ours.hello());
    }

    @Test
    void jdkServerRejectsACookieItDidNotMint() throws Exception {
        Primed p = primeWithOurCookie();
        List<ByteBuffer> answer = MemoryDtls.feed(p.server(), p.ch2());
        assertEquals(1, answer.size());
        assertEquals(HELLO_VERIFY_REQUEST, MemoryDtls.firstHandshakeType(answer.get(0)),
                "the JDK answers our cookie with another HelloVerifyRequest, not a ServerHello");
    }

    @Test
    void swappingInTheJdkCookieBreaksTheTranscript() throws Exception {
        Primed p = primeWithOurCookie();
        SSLEngine client = p.client();
        SSLEngine server = p.server();
        ByteBuffer ch2 = p.ch2();
        ByteBuffer jdkHvr = p.jdkHvr();
        int cookieAt = 13 + 12 + 2;
        int jdkCookieLength = jdkHvr.get(cookieAt) & 0xFF;
        assertEquals(32, jdkCookieLength);
        assertEquals(32, p.hello().cookieLength(), "same length: the swap keeps every length field");
        ByteBuffer rewritten = ByteBuffer.allocate(ch2.remaining());
        rewritten.put(ch2.duplicate()).flip();
        int ourCookieAt = p.hello().cookieLengthOffset() + 1;
        for (int i = 0; i < 32; i++) {
            rewritten.put(ourCookieAt + i, jdkHvr.get(cookieAt + 1 + i));
        }
        List<ByteBuffer> flight = MemoryDtls.feed(server, rewritten);
        assertEquals(SERVER_HELLO, MemoryDtls.firstHandshakeType(flight.get(0)), "the JDK accepts its own cookie");
        // ... but the client hashed the ClientHello it sent. With the extended master secret (on by
        // default) the keys themselves derive from that hash, so the server cannot even decrypt
        // the client's Finished: DTLS drops such records silently, and the handshake stalls.
        List<ByteBuffer> clientFlight = flightBack(client, flight);
        assertEquals(3, clientFlight.size(), "ClientKeyExchange, ChangeCipherSpec, Finished");
        List<ByteBuffer> serverFinal = new ArrayList<>();
        for (ByteBuffer d : clientFlight) {
            serverFinal.addAll(MemoryDtls.feed(server, d));
        }
        assertEquals(List.of(), serverFinal, "the server never answers the client's Finished");
        assertEquals(HandshakeStatus.NEED_UNWRAP, server.getHandshakeStatus());
        assertEquals(HandshakeStatus.NEED_UNWRAP, client.getHandshakeStatus());
    }

    @Test
    void jdkCookieSchemeMintsTheJdkCookieAndVerifiesItStatelessly() throws Exception {
        JdkDtls factory = LoopTest.jdkServer(1400);
        HelloVerifier front = new HelloVerifier(factory.cookieScheme(), new HvrRateLimiter(10, 10));
        SSLEngine client = client();
        ByteBuffer hvr = ByteBuffer.allocate(512);
        ByteBuffer ch1 = MemoryDtls.drain(client).get(0);
        assertEquals(HelloVerifier.Verdict.HELLO_VERIFY_REQUEST, front.verify(ch1, PEER, 0, hvr));
        ByteBuffer ch2 = MemoryDtls.feed(client, hvr).get(0);
        // From another address the same cookie is refused once the first address claimed it.
        InetSocketAddress other = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40_001);
        assertEquals(HelloVerifier.Verdict.VERIFIED, front.verify(ch2, PEER, 0, hvr));
        SSLEngine verified = factory.cookieScheme().takeVerifiedEngine(front.hello());
        assertEquals(HelloVerifier.Verdict.HELLO_VERIFY_REQUEST, front.verify(ch2, other, 0, hvr));
        assertEquals(1, factory.cookieScheme().claimConflicts());
        // The verified engine is already past ClientHello #1: ClientHello #2 gets the ServerHello.
        List<ByteBuffer> flight = MemoryDtls.feed(verified, ch2);
        assertEquals(SERVER_HELLO, MemoryDtls.firstHandshakeType(flight.get(0)));
        MemoryDtls.exchange(client, verified, flightBack(client, flight));
        assertEquals(HandshakeStatus.NOT_HANDSHAKING, client.getHandshakeStatus());
        assertEquals(HandshakeStatus.NOT_HANDSHAKING, verified.getHandshakeStatus());
        assertNotEquals(null, verified.getSession().getCipherSuite());
    }

    private static List<ByteBuffer> flightBack(SSLEngine client, List<ByteBuffer> toClient) throws SSLException {
        List<ByteBuffer> back = new ArrayList<>();
        for (ByteBuffer d : toClient) {
            back.addAll(MemoryDtls.feed(client, d));
        }
        return back;
    }
}
