package org.jevent.dtls;

import java.net.InetSocketAddress;

/**
 * How a {@link HelloVerifier} mints and checks HelloVerifyRequest cookies. An implementation is
 * stateless per peer: the cookie must be checkable from the ClientHello and the sender's address
 * alone. Implementations are used by one loop thread and need not be thread-safe.
 */
interface CookieScheme {
    /** The DTLS 1.2 limit on a cookie's length (RFC 6347 §4.2.1). */
    int MAX_COOKIE_LENGTH = 255;

    /**
     * Whether {@code hello} carries a cookie this scheme issued for it to {@code peer}.
     *
     * @param hello a parsed ClientHello with a cookie
     * @param peer the datagram's sender
     * @return true if valid
     */
    boolean verify(ClientHelloView hello, InetSocketAddress peer);

    /**
     * Writes the cookie to send in a HelloVerifyRequest answering {@code hello} from {@code peer}.
     *
     * @param hello a parsed ClientHello
     * @param peer its sender
     * @param out at least {@link #MAX_COOKIE_LENGTH} bytes
     * @return the cookie's length, 1..255
     */
    int mint(ClientHelloView hello, InetSocketAddress peer, byte[] out);

    /**
     * Whether checking a cookie costs about as much as minting one (the JDK's: an engine per
     * check), so that checks must share the HelloVerifyRequest budget; false for a MAC.
     *
     * @return true if {@link #verify} is expensive
     */
    default boolean verificationIsCostly() {
        return false;
    }

    /** A fresh secret, the previous one still accepted; schemes without a reachable secret ignore it. */
    default void rotate() {
    }
}
