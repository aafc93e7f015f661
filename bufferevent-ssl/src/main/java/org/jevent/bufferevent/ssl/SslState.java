package org.jevent.bufferevent.ssl;

/** libevent's {@code enum bufferevent_ssl_state}: where the TLS session stands at creation. */
public enum SslState {
    /** The engine finished its handshake already: data flows at once and no CONNECTED is reported. */
    OPEN,
    /** We are the client: the handshake starts as soon as the transport can carry it. */
    CONNECTING,
    /** We are the server: the handshake starts with the peer's first record. */
    ACCEPTING
}
