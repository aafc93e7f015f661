package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngine;
import org.jevent.dtls.HelloVerifier.Verdict;
import org.junit.jupiter.api.Test;

class HelloVerifierTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final InetSocketAddress PEER = new InetSocketAddress(LOOPBACK, 40_000);

    private final HmacCookieScheme cookies = new HmacCookieScheme();
    private final HelloVerifier verifier = new HelloVerifier(cookies, new HvrRateLimiter(1_000_000, 1_000_000));
    private final ByteBuffer hvr = ByteBuffer.allocate(512);

    /** A real first ClientHello from the JDK's client engine, and the engine for its second. */
    private static SSLEngine client() throws Exception {
        SSLEngine c = LoopTest.jdkClient(1400).newClientEngineRaw("localhost", 1);
        c.beginHandshake();
        return c;
    }

    private ByteBuffer secondHello(SSLEngine client, InetSocketAddress from) throws Exception {
        ByteBuffer ch1 = MemoryDtls.drain(client).get(0);
        assertEquals(Verdict.HELLO_VERIFY_REQUEST, verifier.verify(ch1, from, 0, hvr));
        return MemoryDtls.feed(client, hvr).get(0);
    }

    @Test
    void cookieVerifiesForTheAddressAndPortItWasSentTo() throws Exception {
        ByteBuffer ch2 = secondHello(client(), PEER);
        assertEquals(Verdict.VERIFIED, verifier.verify(ch2, PEER, 0, hvr));
        assertEquals(1, verifier.hello().messageSeq());
        assertEquals(Verdict.HELLO_VERIFY_REQUEST, verifier.verify(ch2, new InetSocketAddress(LOOPBACK, 40_001), 0, hvr));
        assertEquals(Verdict.HELLO_VERIFY_REQUEST,
                verifier.verify(ch2, new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 40_000), 0, hvr));
        assertEquals(2, verifier.badCookies());
    }

    @Test
    void aChangedClientHelloFieldInvalidatesTheCookie() throws Exception {
        ByteBuffer ch2 = secondHello(client(), PEER);
        assertEquals(Verdict.VERIFIED, verifier.verify(ch2, PEER, 0, hvr));
        int randomByte = verifier.hello().bodyOffset() + 2 + 5;
        ch2.put(randomByte, (byte) (ch2.get(randomByte) ^ 1));
        assertEquals(Verdict.HELLO_VERIFY_REQUEST, verifier.verify(ch2, PEER, 0, hvr));
    }

    @Test
    void previousSecretStillVerifiesAfterOneRotationNotAfterTwo() throws Exception {
        ByteBuffer ch2 = secondHello(client(), PEER);
        cookies.rotate();
        assertEquals(Verdict.VERIFIED, verifier.verify(ch2, PEER, 0, hvr));
        cookies.rotate();
        assertEquals(Verdict.HELLO_VERIFY_REQUEST, verifier.verify(ch2, PEER, 0, hvr));
    }

    @Test
    void synthesizedFirstHelloIsByteIdenticalToTheClientsFirst() throws Exception {
        SSLEngine client = client();
        ByteBuffer ch1 = MemoryDtls.drain(client).get(0);
        ByteBuffer original = ByteBuffer.allocate(ch1.remaining()).put(ch1.duplicate()).flip();
        verifier.verify(ch1, PEER, 0, hvr);
        ByteBuffer ch2 = MemoryDtls.feed(client, hvr).get(0);
        assertEquals(Verdict.VERIFIED, verifier.verify(ch2, PEER, 0, hvr));
        ByteBuffer rebuilt = ByteBuffer.allocate(2048);
        verifier.hello().writeWithoutCookie(rebuilt);
        rebuilt.flip();
        assertEquals(original, rebuilt);
    }

    @Test
    void malformedFragmentedAndForeignDatagramsAreDroppedWithAReason() throws Exception {
        ByteBuffer ch1 = MemoryDtls.drain(client()).get(0);
        byte[] good = new byte[ch1.remaining()];
        ch1.duplicate().get(good);

        byte[] fragmented = good.clone();
        fragmented[13 + 11] = (byte) (fragmented[13 + 11] - 1); // fragment_length one short
        assertDropped(fragmented, "fragmented ClientHello");

        byte[] offset = good.clone();
        offset[13 + 8] = 1; // fragment_offset 1
        assertDropped(offset, "fragmented ClientHello");

        assertDropped(java.util.Arrays.copyOf(good, good.length - 1), "record length does not match");
        assertDropped(java.util.Arrays.copyOf(good, good.length + 5), "record length does not match");
        assertDropped("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(), "not a handshake record");
        assertDropped(new byte[3], "shorter than");

        byte[] epoch = good.clone();
        epoch[4] = 1;
        assertDropped(epoch, "epoch");

        byte[] hugeSession = good.clone();
        hugeSession[13 + 12 + 34] = 33;
        assertDropped(hugeSession, "session_id");

        byte[] tls = good.clone();
        tls[1] = 3;
        tls[2] = 3; // TLS 1.2 record version
        assertDropped(tls, "not a DTLS record version");
        assertEquals(0, verifier.helloVerifyRequests());
    }

    private void assertDropped(byte[] datagram, String reason) {
        assertEquals(Verdict.DROPPED_MALFORMED, verifier.verify(ByteBuffer.wrap(datagram), PEER, 0, hvr));
        assertTrue(verifier.lastRejection().contains(reason), verifier.lastRejection() + " should mention " + reason);
    }

    @Test
    void helloVerifyRequestsAreRateLimited() throws Exception {
        HelloVerifier limited = new HelloVerifier(cookies, new HvrRateLimiter(10, 3));
        ByteBuffer ch1 = MemoryDtls.drain(client()).get(0);
        long t = 1_000_000_000L;
        for (int i = 0; i < 3; i++) {
            assertEquals(Verdict.HELLO_VERIFY_REQUEST, limited.verify(ch1, PEER, t, hvr));
        }
        assertEquals(Verdict.DROPPED_RATE_LIMITED, limited.verify(ch1, PEER, t, hvr));
        assertEquals(Verdict.DROPPED_RATE_LIMITED, limited.verify(ch1, PEER, t + 50_000_000L, hvr));
        assertEquals(Verdict.HELLO_VERIFY_REQUEST, limited.verify(ch1, PEER, t + 100_000_000L, hvr), "one token after 100 ms at 10/s");
        assertEquals(2, limited.droppedRateLimited());
    }

    /** The JDK's cookie costs an engine per check: checks spend the HelloVerifyRequest budget too. */
    @Test
    void costlyCookieChecksAreRateLimitedLikeHelloVerifyRequests() throws Exception {
        JdkDtls factory = LoopTest.jdkServer(1400);
        HelloVerifier limited = new HelloVerifier(factory.cookieScheme(), new HvrRateLimiter(10, 2));
        SSLEngine c = client();
        ByteBuffer ch1 = MemoryDtls.drain(c).get(0);
        long t = 1_000_000_000L;
        assertEquals(Verdict.HELLO_VERIFY_REQUEST, limited.verify(ch1, PEER, t, hvr));
        ByteBuffer ch2 = MemoryDtls.feed(c, hvr).get(0);
        assertEquals(Verdict.VERIFIED, limited.verify(ch2, PEER, t, hvr), "the second token");
        long primed = factory.cookieScheme().enginesPrimed();
        assertEquals(Verdict.DROPPED_RATE_LIMITED, limited.verify(ch2, PEER, t, hvr), "no token left for a check");
        assertEquals(primed, factory.cookieScheme().enginesPrimed(), "no engine made without a token");
        // The HMAC scheme's checks are cheap and take no token.
        HelloVerifier hmac = new HelloVerifier(cookies, new HvrRateLimiter(10, 1));
        SSLEngine c2 = client();
        ByteBuffer first = MemoryDtls.drain(c2).get(0);
        assertEquals(Verdict.HELLO_VERIFY_REQUEST, hmac.verify(first, PEER, t, hvr));
        ByteBuffer second = MemoryDtls.feed(c2, hvr).get(0);
        for (int i = 0; i < 5; i++) {
            assertEquals(Verdict.VERIFIED, hmac.verify(second, PEER, t, hvr));
        }
    }

    @Test
    void largeRatesAndLongIdleGapsDoNotOverflowTheBucket() {
        HvrRateLimiter big = new HvrRateLimiter(Integer.MAX_VALUE, Integer.MAX_VALUE);
        assertTrue(big.tryAcquire(0));
        assertTrue(big.tryAcquire(Long.MAX_VALUE / 2), "after a very long idle time");
        HvrRateLimiter limiter = new HvrRateLimiter(100_000, 10_000);
        for (int i = 0; i < 10_000; i++) {
            assertTrue(limiter.tryAcquire(5), "burst token " + i);
        }
        assertTrue(!limiter.tryAcquire(5));
        assertTrue(limiter.tryAcquire(5 + 10_000), "one token after 10 us at 100,000/s");
    }

    /** 10,000 ClientHellos from distinct ports leave no retained memory behind (no per-peer state). */
    @Test
    void aFloodOfHellosFromSpoofedPortsKeepsNoState() throws Exception {
        flood("HMAC", verifier, 10_000);
    }

    /** The same with the JDK's cookie: an engine per hello, created and dropped. */
    @Test
    void aFloodOfHellosKeepsNoStateWithTheJdkCookieEither() throws Exception {
        JdkDtls factory = LoopTest.jdkServer(1400);
        flood("JDK", new HelloVerifier(factory.cookieScheme(), new HvrRateLimiter(1_000_000, 1_000_000)), 10_000);
        assertTrue(factory.cookieScheme().enginesPrimed() >= 10_000);
    }

    private static void flood(String name, HelloVerifier front, int count) throws Exception {
        ByteBuffer ch1 = MemoryDtls.drain(client()).get(0);
        ByteBuffer out = ByteBuffer.allocate(512);
        InetSocketAddress[] ports = new InetSocketAddress[count];
        for (int i = 0; i < ports.length; i++) {
            ports[i] = new InetSocketAddress(LOOPBACK, 1024 + i);
        }
        for (int i = 0; i < 1000; i++) {
            front.verify(ch1, ports[i], 0, out); // warm-up
        }
        long before = Heap.retained();
        long t0 = System.nanoTime();
        for (InetSocketAddress p : ports) {
            assertEquals(Verdict.HELLO_VERIFY_REQUEST, front.verify(ch1, p, 0, out));
        }
        long micros = (System.nanoTime() - t0) / 1000 / count;
        long grown = Heap.retained() - before;
        System.out.printf("HelloVerifier (%s cookie): %d spoofed ClientHellos, retained heap change %d B, ~%d us each (busy machine)%n",
                name, count, grown, micros);
        assertTrue(grown < 256 * 1024, "retained " + grown + " B after " + count + " hellos");
    }
}
