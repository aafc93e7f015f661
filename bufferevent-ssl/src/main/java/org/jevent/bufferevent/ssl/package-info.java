/**
 * TLS bufferevents: libevent's {@code bufferevent_ssl.h} over {@link javax.net.ssl.SSLEngine}
 * (Conscrypt by default, the JDK's provider by choice). See {@link
 * org.jevent.bufferevent.ssl.SslBufferevent}.
 */
package org.jevent.bufferevent.ssl;
