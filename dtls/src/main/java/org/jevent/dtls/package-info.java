/**
 * DTLS 1.2 over UDP on the {@link org.jevent.eventbase.EventBase} (issue 10). Lab state: the
 * pieces under the session manager, which comes next.
 *
 * <p>Pieces, one job each:
 * <ul>
 * <li>{@link org.jevent.dtls.UdpEndpoint}: a {@code DatagramChannel} on the loop; bounded reads per
 *     readiness event, a bounded preallocated send ring, no allocation per datagram from a known
 *     sender.</li>
 * <li>{@link org.jevent.dtls.HelloVerifier}: the stateless front (Qt's {@code QDtlsClientVerifier}):
 *     {@link org.jevent.dtls.ClientHelloView} parses without allocating and drops fragmented or
 *     malformed hellos, a {@link org.jevent.dtls.CookieScheme} mints and checks cookies
 *     ({@link org.jevent.dtls.HmacCookieScheme}: ours, address-bound, rotating;
 *     {@link org.jevent.dtls.JdkCookieScheme}: the JDK's own, checked statelessly), and
 *     {@link org.jevent.dtls.HvrRateLimiter} bounds HelloVerifyRequests. Nothing per peer is kept.</li>
 * <li>{@link org.jevent.dtls.DtlsEngine}: the one seam in front of both engines: datagrams in;
 *     datagrams, messages, handshake-completed and closed out, all on the loop thread.
 *     {@link org.jevent.dtls.JdkDtlsEngine} (certificates, {@code SSLContext.getInstance("DTLS")},
 *     with our own replay window) and {@link org.jevent.dtls.BcDtlsEngine} (PSK and ECDHE-PSK over
 *     bctls: handshake on a bounded pool, then driven by the loop without waiting) sit behind it,
 *     made by {@link org.jevent.dtls.DtlsEngineFactory}s {@link org.jevent.dtls.JdkDtls} and
 *     {@link org.jevent.dtls.BcPskDtls}.</li>
 * </ul>
 *
 * <p>Server flow, per datagram: a known peer's goes to its engine; an unknown peer's goes to
 * {@code HelloVerifier.verify}: {@code HELLO_VERIFY_REQUEST} → send it, keep nothing;
 * {@code VERIFIED} → {@code factory.newServerEngine(verifier.hello(), peer, listener)}, then
 * {@code start()}, in the same callback.
 *
 * <p>Threading: loop thread only, as everywhere in jevent; a call from another thread fails with
 * {@link java.lang.IllegalStateException}. The only other threads are bctls handshakes, which
 * reach the loop through {@code EventBase.execute}.
 */
package org.jevent.dtls;
