package org.jevent.dtls;

/**
 * Chooses the pre-shared key for a client's PSK identity (Qt's {@code QDtls::pskRequired} on the
 * server side). Called on a handshake thread, not the loop thread: it must be thread-safe and
 * quick (look the key up; do not block on I/O).
 */
@FunctionalInterface
public interface PskKeyCallback {
    /**
     * @param identity the identity the client sent (raw bytes; usually UTF-8 text)
     * @return the key for it (copied before use), or null to refuse the client (it gets an
     *     unknown_psk_identity alert)
     */
    byte[] keyFor(byte[] identity);
}
