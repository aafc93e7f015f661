package org.jevent.dtls;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * The cookie scheme for servers on the JDK's DTLS engine, which accepts only a cookie it minted
 * itself: {@code SHA-256(client_version, random, session_id, cipher_suites, compression || secret)}
 * with a per-{@code SSLContext} secret we cannot read (measured in {@code JdkCookieInteropTest}:
 * a ClientHello carrying an {@link HmacCookieScheme} cookie is answered with another
 * HelloVerifyRequest; replacing the cookie in the ClientHello before the engine sees it breaks the
 * Finished check, because the ClientHello with cookie is part of the handshake transcript).
 *
 * <p>So the cookie on the wire is the JDK's, obtained statelessly: for each ClientHello a fresh
 * server engine of the shared context is fed the hello rebuilt without its cookie (message_seq 0,
 * shared/reference 2.2) and its HelloVerifyRequest is read for the cookie. If the client's cookie
 * equals it, that same engine, already past the first ClientHello, becomes the peer's engine
 * ({@link #takeVerifiedEngine}); otherwise it is dropped and its cookie goes into our
 * HelloVerifyRequest. Nothing outlives the call for an unverified hello.
 *
 * <p>Address binding: the JDK's cookie does not cover the address, and no byte of it is ours to
 * set. As a side check, a verified cookie is claimed by the first address that presents it: a
 * bounded table ({@code CLAIM_SLOTS} entries, direct-mapped, overwritten) refuses the same cookie
 * from another address while its entry lives. It is global memory of fixed size, written only
 * after a cookie verified, so the "no state before verification" rule holds. It does not stop an
 * attacker who fetches a fresh cookie per forged address from an address it can receive on, which
 * HMAC binding would; that is the price of the JDK engine (the bctls engine has the real binding).
 *
 * <p>Cost: one engine creation plus one unwrap and one wrap per ClientHello from an unknown peer,
 * rate-limited by the verifier's HVR budget only for the minting half.
 *
 * <p>Invariant: {@code primed} is null or the engine that produced {@code cookie} for the datagram
 * that {@code primedFor} parsed as its {@code primedParse}-th; it is handed out at most once.
 * Loop thread only.
 */
final class JdkCookieScheme implements CookieScheme {
    private static final int CLAIM_SLOTS = 4096;
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final JdkDtls factory;
    private final ByteBuffer hello1 = ByteBuffer.allocate(65_536);
    private final ByteBuffer hvr = ByteBuffer.allocate(17 * 1024);
    private final ByteBuffer app = ByteBuffer.allocate(17 * 1024);
    private final byte[] cookie = new byte[MAX_COOKIE_LENGTH];
    private int cookieLength;
    private SSLEngine primed;
    private ClientHelloView primedFor;
    private long primedParse = -1;
    private final long[] claimCookie = new long[CLAIM_SLOTS];
    private final long[] claimPeer = new long[CLAIM_SLOTS];
    private long claimConflicts;
    private long enginesPrimed;

    JdkCookieScheme(JdkDtls factory) {
        this.factory = factory;
    }

    @Override
    public boolean verify(ClientHelloView hello, InetSocketAddress peer) {
        if (!prime(hello)) {
            return false;
        }
        if (!hello.cookieEquals(cookie, cookieLength)) {
            return false;
        }
        if (!claim(peer)) {
            claimConflicts++;
            return false;
        }
        return true;
    }

    @Override
    public int mint(ClientHelloView hello, InetSocketAddress peer, byte[] out) {
        // The engine primed by verify() for this very datagram already holds its cookie.
        if (!isPrimedFor(hello) && !prime(hello)) {
            throw new IllegalStateException("the JDK engine produced no HelloVerifyRequest");
        }
        primed = null; // not verified: the engine is dropped
        System.arraycopy(cookie, 0, out, 0, cookieLength);
        return cookieLength;
    }

    /**
     * The engine that verified the last hello, past its cookie-less first ClientHello.
     *
     * @param hello the hello just verified
     * @return the engine; the next call returns null
     */
    SSLEngine takeVerifiedEngine(ClientHelloView hello) {
        if (!isPrimedFor(hello)) {
            throw new IllegalStateException("no engine verified this ClientHello");
        }
        SSLEngine e = primed;
        primed = null;
        return e;
    }

    private boolean isPrimedFor(ClientHelloView hello) {
        return primed != null && primedFor == hello && primedParse == hello.parseCount();
    }

    /** Runs a fresh engine over the hello without cookie; leaves its cookie in {@code cookie}. */
    private boolean prime(ClientHelloView hello) {
        primed = null;
        SSLEngine e = factory.newConfiguredServerEngine();
        try {
            e.beginHandshake();
            hello1.clear();
            hello.writeWithoutCookie(hello1);
            hello1.flip();
            app.clear();
            e.unwrap(hello1, app);
            Runnable task;
            while (e.getHandshakeStatus() == HandshakeStatus.NEED_TASK && (task = e.getDelegatedTask()) != null) {
                task.run();
            }
            hvr.clear();
            e.wrap(EMPTY, hvr);
            hvr.flip();
        } catch (SSLException ex) {
            return false;
        }
        enginesPrimed++;
        // record(13) + handshake(12) + server_version(2) + cookie length(1)
        int at = ClientHelloView.RECORD_HEADER_LENGTH + ClientHelloView.HANDSHAKE_HEADER_LENGTH;
        if (hvr.remaining() < at + 3 || hvr.get(ClientHelloView.RECORD_HEADER_LENGTH) != ClientHelloView.HANDSHAKE_HELLO_VERIFY_REQUEST) {
            return false;
        }
        cookieLength = hvr.get(at + 2) & 0xFF;
        if (hvr.remaining() < at + 3 + cookieLength) {
            return false;
        }
        hvr.get(at + 3, cookie, 0, cookieLength);
        primed = e;
        primedFor = hello;
        primedParse = hello.parseCount();
        return true;
    }

    private boolean claim(InetSocketAddress peer) {
        long c = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < cookieLength; i++) {
            c = (c ^ cookie[i]) * 0x100000001B3L;
        }
        long p = peer.hashCode() * 0x9E3779B97F4A7C15L + peer.getPort();
        int slot = (int) (c >>> 52) & (CLAIM_SLOTS - 1);
        if (claimCookie[slot] == c && claimPeer[slot] != p) {
            return false;
        }
        claimCookie[slot] = c;
        claimPeer[slot] = p;
        return true;
    }

    /** An engine per check, as per mint: checks take from the HelloVerifyRequest budget too. */
    @Override
    public boolean verificationIsCostly() {
        return true;
    }

    /**
     * The secret lives inside the JDK's {@code SSLContext}, which rotates it itself every 2^24
     * cookies (previous one still accepted); there is nothing for us to rotate.
     */
    @Override
    public void rotate() {
    }

    /** @return verified cookies refused because another address presented them first */
    public long claimConflicts() {
        return claimConflicts;
    }

    /** @return engines created to mint or check a cookie */
    public long enginesPrimed() {
        return enginesPrimed;
    }
}
