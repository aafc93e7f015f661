/**
 * Bufferevents: libevent's {@code bufferevent.h} for the JVM. A {@link
 * org.jevent.bufferevent.Bufferevent} owns an input and an output {@code EvBuffer}, moves bytes
 * between them and a transport on its event base's loop thread, and calls the program back when
 * data arrived, output drained, or something happened (EOF, error, timeout, connect).
 *
 * <p>Variants: {@link org.jevent.bufferevent.SocketBufferevent} (a socket), {@link
 * org.jevent.bufferevent.PairBufferevent} (two halves joined in memory), {@link
 * org.jevent.bufferevent.FilterBufferevent} (another bufferevent through filters). A layer over
 * another bufferevent, here or in another package (the TLS bufferevents), extends {@link
 * org.jevent.bufferevent.LayeredBufferevent}, whose protected members are the whole surface it
 * gets. Rate limits: {@link org.jevent.bufferevent.TokenBucketCfg}, {@link
 * org.jevent.bufferevent.RateLimitGroup}.
 */
package org.jevent.bufferevent;
