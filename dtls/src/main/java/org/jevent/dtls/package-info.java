/**
 * DTLS 1.2 over UDP on the {@link org.jevent.eventbase.EventBase}: a server on one UDP socket
 * with a stateless cookie verifier in front and one session per verified peer, and a client;
 * certificates through the JDK's DTLS engine, pre-shared keys through BouncyCastle's bctls. It is
 * Qt's {@code QDtls}/{@code QDtlsClientVerifier} pair on jevent's loop, with libevent's look:
 * callbacks with {@code BEV_EVENT_*} flags, an error queue, {@code free()}.
 *
 * <h2>A server in a few lines</h2>
 * Qt's DTLS server example: pre-shared keys, the hint "Qt DTLS example server", the key
 * {@code 1a2b3c4d5e6f} for every identity, each message answered with "to PEER: ACK".
 * <pre>{@code
 * EventBase base = new EventBase();
 * BcPskDtls psk = BcPskDtls.server().keys(identity -> BcPskDtls.qtExampleKey()).build();
 * DtlsServer server = DtlsServer.bind(base, new InetSocketAddress(4433), psk, (srv, session) ->
 *         session.setCallbacks(
 *                 (s, message) -> s.write(ByteBuffer.wrap(("to PEER: ACK " + UTF_8.decode(message)).getBytes(UTF_8))),
 *                 (s, what) -> { }));
 * base.dispatch();
 * }</pre>
 * With certificates, only the factory changes:
 * {@code JdkDtls.server(SslContexts.forServer(chainPem, keyPem).dtls().build())}.
 *
 * <h2>A client</h2>
 * <pre>{@code
 * JdkDtls tls = JdkDtls.client(SslContexts.forClient().trustPem(caPem).dtls().build());
 * DtlsSession session = DtlsClient.connect(base, serverAddress, tls,
 *         (s, message) -> System.out.println(UTF_8.decode(message)),
 *         (s, what) -> {
 *             if ((what & Bufferevent.BEV_EVENT_CONNECTED) != 0) {
 *                 s.write(ByteBuffer.wrap("hello".getBytes(UTF_8)));
 *             }
 *         });
 * }</pre>
 * With a pre-shared key: {@code BcPskDtls.client("Qt DTLS example client", key).build()}. The
 * client opens a UDP socket of its own, sends its first flight at once and owns the socket
 * until the session ends. {@link org.jevent.dtls.DtlsServer.Builder} and
 * {@link org.jevent.dtls.DtlsClient.Builder} take the other settings.
 *
 * <h2>Certificates or pre-shared keys: the two engine factories</h2>
 * A {@link org.jevent.dtls.DtlsEngineFactory} says which engine runs; server and client code is
 * the same for both. A server factory serves one server (it holds that server's cookie state);
 * a client factory serves any number of clients.
 * <ul>
 * <li>{@link org.jevent.dtls.JdkDtls}: X.509 certificates through SunJSSE's
 *     {@code SSLContext.getInstance("DTLS")}, configured by a
 *     {@link org.jevent.bufferevent.ssl.SslContexts} built with {@code dtls()} (key, trust,
 *     client authentication, suites, host name check, the maximum datagram size). SunJSSE is the
 *     only provider here with DTLS (Conscrypt has none; asking for it fails), and it has no PSK.
 *     Handshakes run on the loop thread, public-key operations included (about a millisecond
 *     each).</li>
 * <li>{@link org.jevent.dtls.BcPskDtls}: pre-shared keys through bctls (AEAD PSK and ECDHE-PSK
 *     suites, ECDHE-PSK first, CCM_8 for CoAP peers; CBC only on request; the JDK's ciphers
 *     under bctls' protocol code). The server sends an identity hint and picks the
 *     key from the client's identity with a {@link org.jevent.dtls.PskKeyCallback} (Qt's
 *     {@code pskRequired}), called on a handshake thread; returning null refuses the client with
 *     an {@code unknown_psk_identity} alert. bctls' handshake blocks a thread, so handshakes run
 *     on the factory's pool ({@link org.jevent.dtls.BcPskDtls.Builder#handshakeThreads}, 4 by
 *     default, with a bounded backlog) and each is cut off at its handshake timeout, counted
 *     from when a thread takes it up: a stalled peer holds a thread at most that long. Once
 *     established, a session holds no thread: the loop drives bctls without waiting. Close the
 *     factory to stop its threads.</li>
 * </ul>
 *
 * <h2>Callbacks and events</h2>
 * {@link org.jevent.dtls.DtlsSession#setCallbacks} takes a
 * {@link org.jevent.dtls.DtlsSession.MessageCb} (one decrypted datagram per call, valid only
 * during the call) and a {@link org.jevent.dtls.DtlsSession.EventCb} whose {@code what}
 * combines the flags of {@link org.jevent.bufferevent.Bufferevent}, with the meanings they have
 * for a TLS bufferevent:
 * <ul>
 * <li>{@code BEV_EVENT_CONNECTED}: the handshake completed; {@code write} works from now on.</li>
 * <li>{@code BEV_EVENT_READING | BEV_EVENT_EOF}: the peer sent close_notify (ours answers it),
 *     or began a new association from the same address and port (RFC 6347 §4.2.8).</li>
 * <li>{@code BEV_EVENT_READING} or {@code BEV_EVENT_WRITING}, with {@code BEV_EVENT_ERROR}: a
 *     fatal alert, sent or received; the error queue says which.</li>
 * <li>{@code BEV_EVENT_TIMEOUT} alone: the handshake did not complete within the handshake
 *     timeout; {@code BEV_EVENT_READING | BEV_EVENT_TIMEOUT}: an established session heard
 *     nothing for the idle timeout (it sent close_notify).</li>
 * </ul>
 * Every event but {@code CONNECTED} ends the session: it leaves its server and is freed when
 * the callback returns. What the application does itself ({@code shutdown()}, {@code free()}, a
 * server's shutdown) calls nothing back. A server's
 * {@link org.jevent.dtls.DtlsServer.AcceptCb} gets each verified peer's session before its
 * handshake starts; set its callbacks there, or {@code free()} it to refuse the peer. A
 * session may be shut down or freed from inside its own read or event callback, and a server
 * from inside any callback of its own or of its sessions, a {@code DatagramTap} included (its
 * sessions then end right after the tap returns, in the same loop turn).
 *
 * <h2>Seeing the datagrams</h2>
 * A {@link org.jevent.dtls.DtlsSession.DatagramTap} sees a session's DTLS datagrams as they are
 * on the wire, each one from the peer before it is decrypted and each one to the peer after it
 * is encrypted (the {@code direction} is {@code BEV_EVENT_READING} or {@code BEV_EVENT_WRITING}),
 * as a read-only view valid only during the call. Set it per session with {@link
 * org.jevent.dtls.DtlsSession#setDatagramTap}, or for every session of a server or client with
 * the builder's {@code datagramTap(...)}, which also shows the first flights. Unset, it costs
 * nothing. {@link org.jevent.dtls.DtlsSession#getLocalAddress()} gives the address a session's
 * datagrams leave from.
 *
 * <h2>Error queue</h2>
 * {@link org.jevent.dtls.DtlsSession#getSslError()} removes and returns the oldest
 * {@link org.jevent.bufferevent.ssl.SslError} ({@code bufferevent_get_openssl_error}); {@code
 * getSslErrors()} lists them. An entry holds the cause, the alert's name when one was sent or
 * received ({@code "bad_certificate"}, {@code "unknown_psk_identity"}, ...) and whether the
 * peer sent it. Timeouts (a {@code DtlsHandshakeTimeoutException} saying how long) and restarts
 * are queued too. The queue stays readable after the session ended.
 *
 * <h2>Timeouts</h2>
 * <ul>
 * <li>Retransmission (RFC 6347 §4.2.4): a handshake flight unanswered is sent again after
 *     {@link org.jevent.dtls.DtlsSession#DEFAULT_RETRANSMIT_TIMEOUT 1 s}, the wait doubling each
 *     time up to 60 s ({@code retransmitTimeout} on the builders sets the first wait). The
 *     session's own timers do it for the JDK engine; bctls times its own with the same values.</li>
 * <li>Handshake: {@link org.jevent.dtls.DtlsSession#DEFAULT_HANDSHAKE_TIMEOUT 30 s} by default
 *     ({@code handshakeTimeout}), then {@code BEV_EVENT_TIMEOUT}.</li>
 * <li>Idle: a server's established sessions end after
 *     {@link org.jevent.dtls.DtlsServer#DEFAULT_IDLE_TIMEOUT 5 minutes} without a datagram from
 *     the peer, because UDP never says that a peer left; a client has none unless asked
 *     ({@code idleTimeout}, zero for none).</li>
 * <li>Cookie secret: rotates every {@link org.jevent.dtls.DtlsServer#DEFAULT_COOKIE_ROTATION 5
 *     minutes}, the previous one still accepted.</li>
 * </ul>
 * Timers are the loop's common timeouts: thousands of sessions arm them in O(1) each.
 *
 * <h2>Limits</h2>
 * <ul>
 * <li>Sessions per server: {@link org.jevent.dtls.DtlsServer#DEFAULT_MAX_SESSIONS}; beyond it new
 *     peers are ignored and counted ({@code getSessionsRefused()}) until one ends.</li>
 * <li>HelloVerifyRequests: a token bucket, all peers together, 1,000 per second and a burst of
 *     1,000 by default ({@code helloVerifyRate}); for the JDK engine each cookie check spends
 *     from it too, since it costs as much. Over the budget, hellos are dropped and counted.</li>
 * <li>Datagrams read per readiness event: 16 by default ({@code maxDatagramsPerEvent}), so one
 *     busy socket cannot starve the loop's other events; the socket's receive buffer is the
 *     system's unless {@code receiveBufferBytes} says otherwise.</li>
 * <li>Sends: a datagram the socket cannot take at once waits in a bounded ring (256); a full
 *     ring drops it, as the network may, and {@code write} returns false.</li>
 * </ul>
 *
 * <h2>Datagram size (path MTU)</h2>
 * The largest datagram read or written is the factory's {@code maxDatagramSize()}:
 * {@link org.jevent.bufferevent.ssl.SslContexts#DEFAULT_DTLS_MAX_PACKET_SIZE 1,452} bytes by
 * default (a 1,500-byte Ethernet path less the IPv6 and UDP headers), set with
 * {@code SslContexts...dtls(bytes)} or {@code BcPskDtls.Builder.maxDatagramSize(bytes)}.
 * Handshake messages are fragmented to it. One {@code write} is one datagram: a message longer
 * than {@link org.jevent.dtls.DtlsSession#getMaxMessageSize()} (the size less the record header
 * and the suite's protection, e.g. 37 bytes for AES-GCM) is refused with an
 * {@link java.lang.IllegalArgumentException} and nothing is sent. A received datagram longer
 * than the size is dropped and counted ({@code getOversizedDatagrams()}).
 *
 * <h2>The end</h2>
 * {@link org.jevent.dtls.DtlsSession#shutdown()} sends close_notify (if the handshake completed)
 * and frees the session; {@link org.jevent.dtls.DtlsSession#free()} ends it without a word.
 * {@link org.jevent.dtls.DtlsServer#shutdown()} sends close_notify to every established peer,
 * then closes the socket once those datagrams are out (1 s at most);
 * {@link org.jevent.dtls.DtlsServer#free()} closes at once. A client session closes its socket
 * when it ends.
 *
 * <h2>The stateless front</h2>
 * A datagram from a peer without a session goes to the cookie verifier (RFC 6347 §4.2.1): a
 * ClientHello without a valid cookie is answered with a HelloVerifyRequest and forgotten;
 * fragmented, malformed or foreign datagrams are dropped and counted
 * ({@code getMalformedHellos()}, {@code getLastMalformedReason()}); only a ClientHello whose
 * cookie verifies makes a session. Forged source addresses therefore cost CPU, never memory
 * (measured: 10,000 spoofed ports leave no session and no retained heap). With bctls the cookie
 * is ours, {@code HMAC-SHA256} over the peer's address and port and the hello, with a rotating
 * secret. The JDK engine accepts only a cookie it minted itself, which does not cover the
 * address: the server obtains it statelessly (a fresh engine per unknown hello, about 0.2 ms)
 * and adds a bounded first-claim check that refuses one cookie from a second address.
 *
 * <h2>Engine facts a user should know</h2>
 * <ul>
 * <li>DTLS 1.2 only, both engines.</li>
 * <li>Application data is not retransmitted by DTLS: a datagram may be lost, duplicated or
 *     reordered; duplicates die in the receiver's replay window and are counted
 *     ({@code getReplayedRecords()}), records failing authentication are dropped and counted
 *     ({@code getUnauthenticatedRecords()}), neither ends the session. The JDK engine has no
 *     replay window of its own for application records; this module adds one.</li>
 * <li>A wrong pre-shared key cannot be told from an attack: the peer's Finished fails
 *     authentication and DTLS drops it silently (RFC 6347 §4.1.2.7), so both ends end with
 *     {@code BEV_EVENT_TIMEOUT} at their handshake timeout, no alert. An unknown identity does
 *     get an alert.</li>
 * <li>bctls zeroes a key array once used: {@link org.jevent.dtls.BcPskDtls#qtExampleKey()} and
 *     the key callback's results are copied first.</li>
 * <li>The JDK client stumbles on stale server flights and on a lost NewSessionTicket, and the
 *     JDK server does not resend its final flight; the sessions cover these (measured through a
 *     lossy relay), so the JDK engine completes handshakes under loss.</li>
 * <li>Session tickets: the JDK's DTLS server sends a NewSessionTicket in every full handshake
 *     with a client that offers the ticket extension (the JDK client does), about 5 % of the
 *     server's CPU per certificate handshake (measured, {@code benchmarks/DTLS-NOTES.md}). A
 *     server whose clients do not resume by ticket can turn it off by starting the JVM with
 *     {@code -Djdk.tls.server.enableSessionTicketExtension=false}; the JDK 17 DTLS engine honours
 *     it (tested: no NewSessionTicket, {@code SessionTicketPropertyTest}). The cost: no resumption
 *     by ticket; a JDK client still resumes, by session ID from the server context's session
 *     cache (tested too). The property
 *     is a SunJSSE system property, not a setting of this module: it applies to every server
 *     {@code SSLContext} of the JVM made after it is set (JDK 17 reads it when a context is
 *     made), TLS ones included when they use SunJSSE (Conscrypt, jevent's default for TLS,
 *     ignores it); set it on the command line, or by {@code System.setProperty} before the first
 *     {@code SslContexts} is built.</li>
 * </ul>
 *
 * <h2>Plain UDP</h2>
 * {@link org.jevent.dtls.UdpEndpoint} is the socket under all of it: a {@code DatagramChannel}
 * on the loop with bounded reads per event, a bounded send ring and no allocation per datagram
 * from a known sender. It serves plain UDP too.
 *
 * <h2>Threading</h2>
 * Everything runs on the loop thread of its base; a call from another thread fails with
 * {@link java.lang.IllegalStateException}, as everywhere in jevent. The only other threads are
 * bctls handshakes (and the {@link org.jevent.dtls.PskKeyCallback} they call), which reach the
 * loop through {@code EventBase.execute}.
 */
package org.jevent.dtls;
