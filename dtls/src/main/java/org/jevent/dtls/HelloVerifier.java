package org.jevent.dtls;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The stateless front of a DTLS server (Qt's {@code QDtlsClientVerifier}, RFC 6347 §4.2.1): it
 * looks at a datagram from a peer that has no session yet and says whether it is a ClientHello
 * with a valid cookie. Otherwise it either writes a HelloVerifyRequest carrying a fresh cookie for
 * the caller to send, or says why the datagram is dropped. It keeps nothing per peer: the cookie
 * is recomputed from the hello and the address, so a flood of ClientHellos from forged addresses
 * costs CPU and (rate-limited) HelloVerifyRequests, never memory.
 *
 * <p>What is dropped: anything {@link ClientHelloView} rejects (not a ClientHello, malformed,
 * fragmented, trailing records), and HelloVerifyRequests beyond the {@link HvrRateLimiter}
 * (and, for a scheme whose checks are expensive, cookie checks beyond it too). The
 * cookie itself comes from a {@link CookieScheme}: {@link HmacCookieScheme} (ours, bound to the
 * address) or {@link JdkCookieScheme} (the JDK engine's own, which the JDK insists on).
 *
 * <p>Invariant: after {@link #verify} returned {@link Verdict#VERIFIED}, {@link #hello()} views
 * that datagram until the next call. Counters only grow. One loop thread only.
 */
final class HelloVerifier {
    /** What to do with a datagram from an unknown peer. */
    public enum Verdict {
        /** A ClientHello with a valid cookie: create the peer's session with it. */
        VERIFIED,
        /** Send the HelloVerifyRequest written to the output buffer; keep nothing. */
        HELLO_VERIFY_REQUEST,
        /** Not an acceptable ClientHello ({@link #lastRejection()} says why); ignore. */
        DROPPED_MALFORMED,
        /** A HelloVerifyRequest was due but the rate limit is spent; ignore. */
        DROPPED_RATE_LIMITED
    }

    private final CookieScheme scheme;
    private final HvrRateLimiter limiter;
    private final ClientHelloView hello = new ClientHelloView();
    private final byte[] cookie = new byte[CookieScheme.MAX_COOKIE_LENGTH];
    private long verified;
    private long helloVerifyRequests;
    private long droppedMalformed;
    private long droppedRateLimited;
    private long badCookies;

    /**
     * @param scheme mints and checks cookies
     * @param limiter bounds HelloVerifyRequests sent
     */
    public HelloVerifier(CookieScheme scheme, HvrRateLimiter limiter) {
        this.scheme = Objects.requireNonNull(scheme, "scheme");
        this.limiter = Objects.requireNonNull(limiter, "limiter");
    }

    /**
     * Decides on one datagram; neither its position nor its limit changes.
     *
     * @param datagram the datagram from an unknown peer
     * @param peer its sender
     * @param nowNanos monotonic time, for the rate limit
     * @param hvrOut for {@link Verdict#HELLO_VERIFY_REQUEST}: cleared, then holds the datagram to
     *     send, flipped; at least 25 + 3 + 255 bytes
     * @return the verdict
     */
    public Verdict verify(ByteBuffer datagram, InetSocketAddress peer, long nowNanos, ByteBuffer hvrOut) {
        if (!parse(datagram)) {
            return Verdict.DROPPED_MALFORMED;
        }
        return verifyParsed(peer, nowNanos, hvrOut);
    }

    /**
     * Parses a datagram into {@link #hello()} without deciding anything; a malformed one is counted.
     *
     * @param datagram the datagram; neither its position nor its limit changes
     * @return true if it is one well-formed, unfragmented ClientHello
     */
    public boolean parse(ByteBuffer datagram) {
        if (!hello.parse(datagram)) {
            droppedMalformed++;
            return false;
        }
        return true;
    }

    /**
     * {@link #verify} of the datagram the last successful {@link #parse} looked at.
     *
     * @param peer its sender
     * @param nowNanos monotonic time, for the rate limit
     * @param hvrOut as for {@link #verify}
     * @return the verdict, never {@link Verdict#DROPPED_MALFORMED}
     */
    public Verdict verifyParsed(InetSocketAddress peer, long nowNanos, ByteBuffer hvrOut) {
        if (hello.cookieLength() > 0) {
            if (scheme.verificationIsCostly() && !limiter.tryAcquire(nowNanos)) {
                // An expensive check (the JDK's: an engine per hello) spends the same budget as
                // a HelloVerifyRequest, or a flood of forged cookies would cost unbounded CPU.
                droppedRateLimited++;
                return Verdict.DROPPED_RATE_LIMITED;
            }
            if (scheme.verify(hello, peer)) {
                verified++;
                return Verdict.VERIFIED;
            }
            badCookies++;
        }
        if (!limiter.tryAcquire(nowNanos)) {
            droppedRateLimited++;
            return Verdict.DROPPED_RATE_LIMITED;
        }
        int n = scheme.mint(hello, peer, cookie);
        hvrOut.clear();
        writeHelloVerifyRequest(hvrOut, hello.recordSequence(), cookie, n);
        hvrOut.flip();
        helloVerifyRequests++;
        return Verdict.HELLO_VERIFY_REQUEST;
    }

    /**
     * Writes a HelloVerifyRequest datagram: record version and server_version DTLS 1.0 (RFC 6347
     * §4.2.1 recommends 1.0 here whatever is negotiated later), the ClientHello's record sequence
     * number echoed, message_seq 0, one unfragmented message.
     *
     * @param dst receives 28 + len bytes at its position
     * @param recordSequence the ClientHello's record sequence number
     * @param cookie the cookie bytes
     * @param len the cookie's length, 1..255
     */
    static void writeHelloVerifyRequest(ByteBuffer dst, long recordSequence, byte[] cookie, int len) {
        int body = 2 + 1 + len;
        dst.put((byte) ClientHelloView.CONTENT_TYPE_HANDSHAKE);
        dst.putShort((short) ClientHelloView.DTLS_1_0);
        dst.putShort((short) 0); // epoch
        dst.putShort((short) (recordSequence >>> 32));
        dst.putInt((int) recordSequence);
        dst.putShort((short) (ClientHelloView.HANDSHAKE_HEADER_LENGTH + body));
        dst.put((byte) ClientHelloView.HANDSHAKE_HELLO_VERIFY_REQUEST);
        putU24(dst, body);
        dst.putShort((short) 0); // message_seq
        putU24(dst, 0); // fragment_offset
        putU24(dst, body); // fragment_length
        dst.putShort((short) ClientHelloView.DTLS_1_0);
        dst.put((byte) len);
        dst.put(cookie, 0, len);
    }

    private static void putU24(ByteBuffer b, int v) {
        b.put((byte) (v >>> 16));
        b.putShort((short) v);
    }

    /** @return the last datagram parsed, valid after {@link Verdict#VERIFIED} */
    public ClientHelloView hello() {
        return hello;
    }

    /** @return why the last datagram was dropped as malformed */
    public String lastRejection() {
        return hello.rejection();
    }

    /** @return ClientHellos with a valid cookie */
    public long verified() {
        return verified;
    }

    /** @return HelloVerifyRequests written */
    public long helloVerifyRequests() {
        return helloVerifyRequests;
    }

    /** @return datagrams dropped as not an acceptable ClientHello */
    public long droppedMalformed() {
        return droppedMalformed;
    }

    /** @return HelloVerifyRequests not sent because of the rate limit */
    public long droppedRateLimited() {
        return droppedRateLimited;
    }

    /** @return ClientHellos whose cookie did not verify (stale, forged, or from another address) */
    public long badCookies() {
        return badCookies;
    }
}
