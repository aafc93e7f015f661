/**
 * TLS bufferevents: libevent's {@code bufferevent_ssl.h} over {@link javax.net.ssl.SSLEngine}
 * (Conscrypt by default, the JDK's provider or BoringSSL through netty-tcnative by choice)
 * instead of an OpenSSL {@code SSL *}.
 *
 * <ul>
 * <li>{@link org.jevent.bufferevent.ssl.SslBufferevent}: the TLS bufferevent, over a socket
 * ({@code bufferevent_openssl_socket_new}) or over any other bufferevent ({@code
 * bufferevent_openssl_filter_new}), created in a {@link org.jevent.bufferevent.ssl.SslState}.</li>
 * <li>{@link org.jevent.bufferevent.ssl.SslContexts}: what a C program sets up with {@code
 * SSL_CTX_*} calls, and the engines ({@code SSL_new}) a TLS bufferevent runs.</li>
 * <li>{@link org.jevent.bufferevent.ssl.SslProvider}: which TLS implementation makes the
 * engines, and what differs between them.</li>
 * <li>{@link org.jevent.bufferevent.ssl.SslError}: one TLS failure, as {@code
 * bufferevent_get_openssl_error} returns it.</li>
 * <li>{@link org.jevent.bufferevent.ssl.SelfSignedCertificate}: a throw-away certificate for
 * tests and development.</li>
 * </ul>
 *
 * <p>Threads: a TLS bufferevent follows the rules of {@link org.jevent.bufferevent.Bufferevent}
 * (its loop thread, or any thread with {@code BEV_OPT_THREADSAFE} where a method says so); an
 * {@link org.jevent.bufferevent.ssl.SslContexts}, an {@link org.jevent.bufferevent.ssl.SslError}
 * and a {@link org.jevent.bufferevent.ssl.SelfSignedCertificate} are immutable and may be shared;
 * a builder belongs to one thread. {@code docs/porting.md} maps every C call of the header.
 */
package org.jevent.bufferevent.ssl;
