package org.jevent.dtls;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;

/**
 * Our own stateless cookie (RFC 6347 §4.2.1): {@code HMAC-SHA256(secret, clientId || hello)}
 * where {@code clientId} is the peer's address bytes followed by its port (2 bytes, big-endian)
 * and {@code hello} is the ClientHello body without the cookie vector (client_version, random,
 * session_id, cipher_suites, compression_methods and extensions, each with its length prefix).
 * A cookie is therefore bound to the address and port that received it, and to every parameter
 * the client must repeat.
 *
 * <p>This is byte-for-byte the cookie bctls' {@code DTLSVerifier} computes for the same key and
 * client id, which is what lets the bctls engine accept a hello verified here (see
 * {@link BcDtlsServerHandoff}).
 *
 * <p>Secrets rotate: {@link #rotate()} makes a fresh current secret and keeps the one before as
 * previous, and a cookie made with either verifies, so a client caught by a rotation between its
 * two ClientHellos still gets in. The server calls {@code rotate()} on a timer (e.g. every few
 * minutes); a cookie lives at most two periods.
 *
 * <p>Invariant: {@code current} and {@code previous} are initialised HMACs (equal secrets right
 * after construction); {@code scratch} is large enough for any ClientHello body (the record length
 * field bounds it to 65,535). One loop thread only: {@link Mac} is not thread-safe.
 */
final class HmacCookieScheme implements CookieScheme {
    /** Bytes of an HMAC-SHA256 cookie. */
    public static final int COOKIE_LENGTH = 32;
    private static final int SECRET_LENGTH = 32;

    private final SecureRandom random;
    private Mac current;
    private Mac previous;
    private byte[] currentSecret;
    private byte[] previousSecret;
    private final byte[] scratch = new byte[65_536 + 18];
    private final byte[] expected = new byte[COOKIE_LENGTH];
    private long rotations;

    /** A scheme with a random secret from a new {@link SecureRandom}. */
    public HmacCookieScheme() {
        this(new SecureRandom());
    }

    /**
     * A scheme drawing its secrets from {@code random}.
     *
     * @param random the source of secrets
     */
    public HmacCookieScheme(SecureRandom random) {
        this.random = random;
        byte[] s = new byte[SECRET_LENGTH];
        random.nextBytes(s);
        currentSecret = s;
        previousSecret = s;
        current = hmac(s);
        previous = hmac(s);
    }

    /** Makes a new current secret; the old current one stays valid as previous. */
    @Override
    public void rotate() {
        byte[] s = new byte[SECRET_LENGTH];
        random.nextBytes(s);
        rotate(s);
    }

    /**
     * Installs {@code secret} as current (for servers that share a secret, and tests).
     *
     * @param secret 32 bytes
     */
    public void rotate(byte[] secret) {
        if (secret.length != SECRET_LENGTH) {
            throw new IllegalArgumentException("secret must be " + SECRET_LENGTH + " bytes");
        }
        Mac spare = previous;
        previous = current;
        previousSecret = currentSecret;
        currentSecret = secret.clone();
        try {
            spare.init(new SecretKeySpec(currentSecret, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        current = spare;
        rotations++;
    }

    /** @return how many times the secret rotated */
    public long rotations() {
        return rotations;
    }

    /** The current secret, for handing to an engine that checks the same cookie itself. */
    byte[] currentSecret() {
        return currentSecret;
    }

    /** The previous secret. */
    byte[] previousSecret() {
        return previousSecret;
    }

    @Override
    public boolean verify(ClientHelloView hello, InetSocketAddress peer) {
        return verifiedSecret(hello, peer) != null;
    }

    /**
     * The secret that {@code hello}'s cookie was made with, or null if neither accepts it.
     *
     * @param hello a parsed ClientHello
     * @param peer its sender
     * @return the current or previous secret, or null
     */
    byte[] verifiedSecret(ClientHelloView hello, InetSocketAddress peer) {
        if (hello.cookieLength() != COOKIE_LENGTH) {
            return null;
        }
        int n = macInput(hello, peer);
        // Both are always computed: the time taken does not say which secret matched.
        boolean okCurrent = matches(current, n, hello);
        boolean okPrevious = matches(previous, n, hello);
        return okCurrent ? currentSecret : okPrevious ? previousSecret : null;
    }

    private boolean matches(Mac mac, int n, ClientHelloView hello) {
        compute(mac, n);
        return hello.cookieEquals(expected, COOKIE_LENGTH);
    }

    @Override
    public int mint(ClientHelloView hello, InetSocketAddress peer, byte[] out) {
        compute(current, macInput(hello, peer));
        System.arraycopy(expected, 0, out, 0, COOKIE_LENGTH);
        return COOKIE_LENGTH;
    }

    private void compute(Mac mac, int n) {
        mac.update(scratch, 0, n);
        try {
            mac.doFinal(expected, 0);
        } catch (ShortBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Fills {@code scratch} with clientId || body-without-cookie; returns its length. */
    private int macInput(ClientHelloView hello, InetSocketAddress peer) {
        int n = writeClientId(peer, scratch, 0);
        ByteBuffer b = hello.buffer();
        int body = hello.bodyOffset();
        int cookieAt = hello.cookieLengthOffset();
        int before = cookieAt - body;
        b.get(body, scratch, n, before);
        n += before;
        int after = cookieAt + 1 + hello.cookieLength();
        int rest = body + hello.bodyLength() - after;
        b.get(after, scratch, n, rest);
        return n + rest;
    }

    /**
     * The client id bound into a cookie: address bytes (4 or 16) then the port, big-endian.
     *
     * @param peer the address
     * @param dst where to write
     * @param at offset in dst
     * @return bytes written
     */
    static int writeClientId(InetSocketAddress peer, byte[] dst, int at) {
        byte[] addr = peer.getAddress().getAddress();
        System.arraycopy(addr, 0, dst, at, addr.length);
        int port = peer.getPort();
        dst[at + addr.length] = (byte) (port >>> 8);
        dst[at + addr.length + 1] = (byte) port;
        return addr.length + 2;
    }

    private static Mac hmac(byte[] secret) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(secret, "HmacSHA256"));
            return m;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
