package org.jevent.bufferevent.ssl;

/**
 * libevent's {@code enum bufferevent_ssl_state}: where the TLS session stands when the
 * bufferevent is made, given to {@link SslBufferevent#socket} or {@link SslBufferevent#filter}.
 * CONNECTING and ACCEPTING put the engine in client or server mode, as OpenSSL's {@code
 * SSL_set_connect_state} and {@code SSL_set_accept_state} do (an engine whose handshake already
 * began keeps its own mode); engines from {@link SslContexts#newClientEngine} and {@link
 * SslContexts#newServerEngine} are in the matching mode already.
 */
public enum SslState {
    /**
     * {@code BUFFEREVENT_SSL_OPEN}: the engine finished its handshake already, so data flows at
     * once and no {@code BEV_EVENT_CONNECTED} is reported.
     */
    OPEN,
    /**
     * {@code BUFFEREVENT_SSL_CONNECTING}: this end is the client; the handshake starts as soon as
     * the transport can carry it, and {@code BEV_EVENT_CONNECTED} is reported when it finishes.
     */
    CONNECTING,
    /**
     * {@code BUFFEREVENT_SSL_ACCEPTING}: this end is the server; the handshake starts with the
     * peer's first record, and {@code BEV_EVENT_CONNECTED} is reported when it finishes.
     */
    ACCEPTING
}
