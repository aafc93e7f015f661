package org.jevent.bufferevent.ssl;

import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLEngine;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.EndReason;
import org.jevent.bufferevent.FlushMode;
import org.jevent.bufferevent.LayeredBufferevent;
import org.jevent.bufferevent.SocketBufferevent;
import org.jevent.eventbase.EventBase;
import org.jevent.evbuffer.EvBuffer;

/**
 * TLS over another bufferevent, through an {@link SSLEngine}: libevent's
 * {@code bufferevent_openssl} for the JVM, built on the memory-BIO pattern: the engine never
 * touches a socket. Ciphertext that the transport read is unwrapped into this bufferevent's
 * input; plaintext written to its output is wrapped into the transport's output.
 *
 * <p>Two variants share this one pump: {@link #filter} runs over any bufferevent the caller
 * gives (a socket, a pair half, another filter or TLS bufferevent); {@link #socket} runs over a
 * channel, through a private {@link SocketBufferevent} that nobody else sees.
 *
 * <h2>Behaviour</h2>
 * <ul>
 * <li>States {@link SslState#OPEN}, {@link SslState#CONNECTING}, {@link SslState#ACCEPTING}.
 * Exactly one {@link #BEV_EVENT_CONNECTED} when the handshake completes (the transport's own
 * CONNECTED is not passed on), before the first byte of data is delivered. Data written before
 * that waits in the output and is sent once the handshake allows it: never lost, never in
 * clear.</li>
 * <li>A handshake may start again at any time (the peer renegotiates, a TLS 1.3 key update or
 * session ticket arrives): the pump answers NEED_WRAP and NEED_UNWRAP whenever they come.
 * {@link #renegotiate()} starts one from our side where the provider can; its completion raises
 * CONNECTED again, as libevent does.</li>
 * <li>What the peer starts is bounded: a TLS 1.2 client's renegotiation is refused unless
 * {@link #setRenegotiationLimit} allows it, and a TLS 1.3 peer's key update requests are limited
 * ({@link #setKeyUpdateLimit}); a refusal ends the session with a fatal alert where the engine can
 * send one. Handshake records the peer makes us write (renegotiation flights, key update answers)
 * wait, like application data, while the transport holds {@link #TRANSPORT_WRITE_BOUND}, and
 * the transport is not read meanwhile: a peer that asks and never reads cannot grow our
 * memory.</li>
 * <li>Every TLS failure is queued ({@link #getSslError()}, oldest first, at most
 * {@value #MAX_ERRORS} kept) and reported as {@code ERROR} with READING or WRITING.</li>
 * <li>The transport's EOF after the peer's close_notify is a clean {@code READING|EOF}; before it,
 * a truncation: {@code READING|ERROR}, or {@code READING|EOF} with
 * {@link #BUFFEREVENT_SSL_DIRTY_SHUTDOWN}. This is decided from our own state, because Conscrypt
 * raises nothing on such an EOF. A peer's close_notify is answered with ours.</li>
 * <li>Timeouts set before the first handshake completes bound the handshake as a whole: one
 * bare {@code TIMEOUT} event, never per-direction ones too ({@link #setTimeouts}).</li>
 * <li>{@link #shutdown(Duration)} is the secure disconnect libevent lacks: flush, close_notify,
 * then wait a bounded time for the peer's, or not at all.</li>
 * <li>Layering on a live plaintext connection (an SSLRequest or STARTTLS upgrade) refuses bytes
 * the plaintext layer already read and left unconsumed: they are neither handshake nor
 * application data, and taking them either way is the bug class of PostgreSQL's CVE-2021-23214.
 * The result is an ERROR naming them.</li>
 * </ul>
 *
 * <h2>Invariant</h2>
 * The pump ({@link TlsPump}) never runs inside itself: a callback or a re-entrant call during a
 * pump only asks it for another round. The session's state is one phase plus a few named bits
 * ({@link SessionState}): while a handshake runs plaintext is neither wrapped nor delivered;
 * FAILED is final, entered only through {@code TlsFailure.fail}, and after it nothing is
 * wrapped or unwrapped any more ({@link TlsPump#canPump()} is the one guard).
 */
public final class SslBufferevent extends LayeredBufferevent {
    /** Flag: an EOF without close_notify is reported as EOF, not ERROR (libevent 2.2's macro of this name). */
    public static final int BUFFEREVENT_SSL_DIRTY_SHUTDOWN = 0x01;
    /**
     * Flag accepted for libevent compatibility (libevent 2.2's macro of this name): small writes
     * are always batched into full records here, since wrap takes many source buffers at once.
     */
    public static final int BUFFEREVENT_SSL_BATCH_WRITE = 0x02;
    /**
     * How much ciphertext the pump lets wait in a transport that has no write high watermark of
     * its own (the socket variant's hidden one, or a filter's underlying the caller left
     * unbounded). Beyond it plaintext stays in this bufferevent's output, so that its length and
     * its write callback tell the caller how fast the peer really takes data, as a socket's
     * would; without a bound everything written would be encrypted into memory at once and a
     * relay could never feel back-pressure. (libevent's socket variant gets the same from the
     * kernel, whose buffer makes SSL_write stop; its filter has no bound.) Four full records.
     */
    public static final int TRANSPORT_WRITE_BOUND = 64 * 1024;
    /** Most errors kept in the queue; older ones are dropped first, as OpenSSL's queue does. */
    public static final int MAX_ERRORS = 16;

    /**
     * Key update requests a TLS 1.3 peer may make within {@link #DEFAULT_KEY_UPDATE_PERIOD}
     * unless {@link #setKeyUpdateLimit} says otherwise. Far above what a peer needs (the JDK asks
     * for one after 2^37 bytes under AES-GCM; OpenSSL and BoringSSL only when their program asks),
     * and BoringSSL's own bound on key updates in a row.
     */
    public static final int DEFAULT_KEY_UPDATE_LIMIT = 32;
    /** The period of {@link #DEFAULT_KEY_UPDATE_LIMIT}. */
    public static final Duration DEFAULT_KEY_UPDATE_PERIOD = Duration.ofMinutes(1);
    /**
     * The largest limit {@link #setRenegotiationLimit} and {@link #setKeyUpdateLimit} take: the
     * window keeps one time per handshake it may accept.
     */
    public static final int MAX_PEER_HANDSHAKE_LIMIT = RateWindow.MAX_EVENTS;

    /**
     * How long {@link #shutdown} without a wait for the peer (null or zero) lets the close_notify
     * take to leave through the transport before it closes anyway and reports
     * {@code EOF|TIMEOUT}.
     */
    public static final Duration SHUTDOWN_FLUSH_LIMIT = Duration.ofSeconds(1);

    /** The socket variant's channel (its transport is ours, hidden, and closed with us); null for the filter variant. */
    private final TlsSocket socket;
    private final SSLEngine engine;
    private final TlsPump pump;
    private final SecureClose close;
    private final SslState initialState;
    private int flags;

    /** The session's phase and named bits. */
    private final SessionState state = new SessionState();

    private final SslErrorQueue errors = new SslErrorQueue();

    /** The DEBUG log and JFR's view of the session. */
    private final SessionLog log;

    /** The one way into FAILED, and the end event of each failure. */
    private final TlsFailure failure;

    /** What the peer may start on an established session, and what it did. */
    private final PeerHandshakeGuard peer;

    /** The handshakes this end starts, and the end of any. */
    private final Handshakes handshakes;

    private SslBufferevent(Bufferevent underlying, TlsSocket socket, SSLEngine engine, SslState initial,
            int options) {
        super(underlying, options, socket != null);
        this.socket = socket;
        this.engine = engine;
        SslProvider provider = SslProvider.of(engine);
        this.initialState = initial;
        this.log = new SessionLog(this, engine, provider);
        this.failure = new TlsFailure(this, state, errors, log);
        this.close = new SecureClose(this, state, failure, errors, engine, provider);
        this.peer = new PeerHandshakeGuard(getBase(), engine, provider, log, failure);
        this.pump = new TlsPump(this, state, close, failure, peer, engine, provider, underlying);
        this.handshakes = new Handshakes(this, state, engine, provider, log, failure, close, errors, pump);
    }

    // ------------------------------------------------------------------ construction

    /**
     * {@code bufferevent_openssl_filter_new(base, underlying, ssl, state, options)}: TLS over
     * {@code underlying}, whose callbacks are taken over. With {@link #BEV_OPT_CLOSE_ON_FREE}
     * freeing this frees the underlying bufferevent; without it the underlying is handed back
     * with no callbacks. Bytes the underlying already holds in its input are refused (see the
     * class comment). Loop thread only.
     *
     * @param base the base whose loop runs it: the underlying bufferevent's
     * @param underlying the bufferevent the ciphertext travels through (a socket, a pair half,
     *     a filter, another TLS bufferevent); this one takes over its callbacks and enables both
     *     its directions
     * @param engine the TLS session, one per connection ({@link SslContexts#newClientEngine},
     *     {@link SslContexts#newServerEngine}); this bufferevent drives it from now on
     * @param state {@link SslState#CONNECTING} for a client, {@link SslState#ACCEPTING} for a
     *     server (either sets the engine's mode), {@link SslState#OPEN} for an engine whose
     *     handshake is done
     * @param options {@code BEV_OPT_*} flags, or-ed; CLOSE_ON_FREE frees {@code underlying}
     * @return the new bufferevent; its handshake starts at once unless {@code state} is OPEN
     *     (bytes already waiting in {@code underlying}'s input end it with an ERROR instead)
     * @throws IllegalArgumentException if {@code underlying} belongs to another base, or
     *     {@code options} has an unknown bit
     * @throws IllegalStateException if {@code underlying} was freed, or called off the loop
     *     thread
     */
    public static SslBufferevent filter(EventBase base, Bufferevent underlying, SSLEngine engine, SslState state,
            int options) {
        Objects.requireNonNull(underlying, "underlying");
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(state, "state");
        if (underlying.getBase() != base) {
            throw new IllegalArgumentException("the underlying bufferevent belongs to another event base");
        }
        if (underlying.isFreed()) {
            throw new IllegalStateException("the underlying bufferevent was freed");
        }
        SslBufferevent bev = new SslBufferevent(underlying, null, engine, state, options);
        bev.attach(true);
        return bev;
    }

    /**
     * {@code bufferevent_openssl_socket_new(base, fd, ssl, state, options)}: TLS over
     * {@code channel}, or over no channel until {@link #connect}. With
     * {@link #BEV_OPT_CLOSE_ON_FREE} freeing closes the channel (a channel we opened ourselves
     * is always closed). TCP_NODELAY is set on the channel: records are already coalesced per
     * loop turn. Loop thread only.
     *
     * @param base the base whose loop runs it
     * @param channel a connected, connecting or unconnected socket, made non-blocking; null to
     *     {@link #connect} or {@link #connectHostname} one later
     * @param engine the TLS session, one per connection ({@link SslContexts#newClientEngine},
     *     {@link SslContexts#newServerEngine}); this bufferevent drives it from now on
     * @param state {@link SslState#CONNECTING} for a client, {@link SslState#ACCEPTING} for a
     *     server (either sets the engine's mode), {@link SslState#OPEN} for an engine whose
     *     handshake is done
     * @param options {@code BEV_OPT_*} flags, or-ed; CLOSE_ON_FREE closes {@code channel}
     * @return the new bufferevent; the handshake starts once the channel is connected, unless
     *     {@code state} is OPEN
     * @throws IllegalArgumentException if {@code options} has an unknown bit
     * @throws IllegalStateException if called off the base's loop thread
     * @throws java.io.UncheckedIOException if the channel cannot be made non-blocking
     */
    public static SslBufferevent socket(EventBase base, SocketChannel channel, SSLEngine engine, SslState state,
            int options) {
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(state, "state");
        int socketOptions = options & BEV_OPT_CLOSE_ON_FREE;
        SocketBufferevent transport = SocketBufferevent.create(base, channel, socketOptions);
        TlsSocket.noDelay(channel);
        SslBufferevent bev = new SslBufferevent(transport, new TlsSocket(transport), engine, state,
                options & ~BEV_OPT_CLOSE_ON_FREE);
        // Without a connected channel the handshake waits for the transport's CONNECTED.
        bev.attach(channel != null && channel.isConnected());
        return bev;
    }

    private void attach(boolean transportReady) {
        // Bytes the transport read before the TLS layer was added.
        long stray = transport().getInput().getLength();
        takeOverTransport();
        if (stray > 0) {
            failure.refuseStrayBytes(transport().getInput(), stray);
            return;
        }
        switch (initialState) {
            case OPEN -> state.startOpen();
            case CONNECTING, ACCEPTING -> {
                // Until the first handshake completes, the timeouts bound connect and handshake.
                bindTimeoutsToHandshake(failure::handshakeTimedOut);
                try {
                    engine.setUseClientMode(initialState == SslState.CONNECTING);
                } catch (IllegalArgumentException alreadyStarted) {
                    // The caller began the handshake with its own mode; keep it.
                }
                if (transportReady) {
                    handshakes.startFirst();
                }
            }
            default -> throw new AssertionError(initialState);
        }
        updateTransportReading();
    }

    // ------------------------------------------------------------------ public API

    /**
     * {@return the engine this bufferevent drives} ({@code bufferevent_openssl_get_ssl}) Read
     * its session, protocol, suite and ALPN result from the event callback's CONNECTED; do not
     * wrap, unwrap or close it yourself.
     */
    public SSLEngine getEngine() {
        return engine;
    }

    /** {@return the {@link SslState} this bufferevent was created in} */
    public SslState getInitialState() {
        return initialState;
    }

    /** {@return true while a handshake (the first one or a later one) is in progress} */
    public boolean isHandshaking() {
        return state.handshaking();
    }

    /**
     * {@code bufferevent_get_openssl_error}: removes and returns the oldest queued TLS error.
     * At most {@value #MAX_ERRORS} are kept. Loop thread only.
     *
     * @return the oldest error not yet taken, or null when there is none
     * @throws IllegalStateException if called off the loop thread
     */
    public SslError getSslError() {
        checkLoopThread();
        return errors.poll();
    }

    /**
     * {@return every queued TLS error, oldest first, in a new list; none is removed} Loop
     * thread only.
     *
     * @throws IllegalStateException if called off the loop thread
     */
    public List<SslError> getSslErrors() {
        checkLoopThread();
        return errors.snapshot();
    }

    /**
     * {@return the flags set: {@link #BUFFEREVENT_SSL_DIRTY_SHUTDOWN} and/or {@link
     * #BUFFEREVENT_SSL_BATCH_WRITE}} ({@code bufferevent_ssl_get_flags})
     */
    public int getFlags() {
        return flags;
    }

    /**
     * {@code bufferevent_ssl_set_flags}: adds flags; those already set stay.
     *
     * @param f {@link #BUFFEREVENT_SSL_DIRTY_SHUTDOWN} and/or {@link #BUFFEREVENT_SSL_BATCH_WRITE}
     * @return the flags set now
     * @throws IllegalArgumentException if {@code f} has another bit
     * @throws IllegalStateException if the bufferevent was freed
     */
    public int setFlags(int f) {
        checkNotFreed();
        checkFlags(f);
        flags |= f;
        return flags;
    }

    /**
     * {@code bufferevent_ssl_clear_flags}: removes flags; the others stay.
     *
     * @param f {@link #BUFFEREVENT_SSL_DIRTY_SHUTDOWN} and/or {@link #BUFFEREVENT_SSL_BATCH_WRITE}
     * @return the flags set now
     * @throws IllegalArgumentException if {@code f} has another bit
     * @throws IllegalStateException if the bufferevent was freed
     */
    public int clearFlags(int f) {
        checkNotFreed();
        checkFlags(f);
        flags &= ~f;
        return flags;
    }

    private static void checkFlags(int f) {
        if ((f & ~(BUFFEREVENT_SSL_DIRTY_SHUTDOWN | BUFFEREVENT_SSL_BATCH_WRITE)) != 0) {
            throw new IllegalArgumentException("unknown TLS flags 0x" + Integer.toHexString(f));
        }
    }

    /**
     * {@return true if an EOF without the peer's close_notify is reported as {@code EOF}, false
     * if as {@code ERROR}} ({@code bufferevent_openssl_get_allow_dirty_shutdown}) The same as
     * {@link #BUFFEREVENT_SSL_DIRTY_SHUTDOWN} in {@link #getFlags()}.
     */
    public boolean getAllowDirtyShutdown() {
        return (flags & BUFFEREVENT_SSL_DIRTY_SHUTDOWN) != 0;
    }

    /**
     * {@code bufferevent_openssl_set_allow_dirty_shutdown}: sets or clears {@link
     * #BUFFEREVENT_SSL_DIRTY_SHUTDOWN}.
     *
     * @param allow true to report an EOF without the peer's close_notify as {@code
     *     READING|EOF}, false (the default) to report it as a truncation, {@code READING|ERROR}
     * @throws IllegalStateException if the bufferevent was freed
     */
    public void setAllowDirtyShutdown(boolean allow) {
        checkNotFreed();
        if (allow) {
            flags |= BUFFEREVENT_SSL_DIRTY_SHUTDOWN;
        } else {
            flags &= ~BUFFEREVENT_SSL_DIRTY_SHUTDOWN;
        }
    }

    /**
     * {@code bufferevent_ssl_renegotiate}: starts a new handshake from our side. On TLS 1.2 with
     * a provider that supports it (the JDK's) this is a renegotiation; on TLS 1.3 the JDK sends a
     * key update instead. Its completion raises CONNECTED again. Returns false, and changes
     * nothing, where the provider cannot (Conscrypt ignores a second {@code beginHandshake()}),
     * before the first handshake finished, or after a failure or shutdown. Loop thread only.
     *
     * @return true if the engine took the request (a renegotiation under way, or a key update
     *     sent); false if nothing changed, for the reasons above or because the engine refused,
     *     which is queued as an {@link SslError}
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     */
    public boolean renegotiate() {
        checkLoopThread();
        checkNotFreed();
        return handshakes.renegotiate();
    }

    /**
     * Lets the peer renegotiate: at most {@code handshakes} renegotiations a TLS 1.2 client asks
     * of this server within any {@code period} (a sliding window, counted from this call). The
     * default, 0, refuses every one, as OpenSSL 3 and BoringSSL servers do: each renegotiation is
     * a full handshake paid by the server (the JDK provider: about 30 ms of CPU), and one
     * connection could ask for them without end. A refused request ends the session: the engine
     * answers with a fatal alert (JDK provider: handshake_failure, the alert the JDK sends when
     * it refuses client renegotiation itself; Conscrypt: BoringSSL's no_renegotiation), and the
     * event callback gets {@code READING|ERROR} with {@link EndReason#RENEGOTIATION_REFUSED}; the
     * refusal is logged at DEBUG, counted in {@link #getPeerRenegotiations()}, queued as an
     * {@link SslError}, and recorded as a failed handshake started by the peer (JFR).
     * OpenSSL refuses with a warning and goes on, but the connection would gain nothing: the JDK
     * engine, having read the request, can only go through with the handshake or fail, and a
     * client that asked for a handshake waits for it (OpenSSL's own client then ends the
     * connection with handshake_failure).
     *
     * <p>Conscrypt (BoringSSL) never renegotiates as a server, whatever the limit. As a client
     * this end follows its server's requests (HelloRequest) as OpenSSL and BoringSSL clients
     * do; they are counted, not limited. Our own {@link #renegotiate()} is not limited.
     *
     * @param handshakes 0 to {@link #MAX_PEER_HANDSHAKE_LIMIT}
     * @param period positive; ignored (may be null) when {@code handshakes} is 0
     * @throws IllegalArgumentException if {@code handshakes} is out of range or {@code period}
     *     is not positive
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     */
    public void setRenegotiationLimit(int handshakes, Duration period) {
        checkLoopThread();
        checkNotFreed();
        peer.limitRenegotiations(handshakes, period);
    }

    /**
     * Bounds the TLS 1.3 equivalent of a renegotiation flood: at most {@code updates} key update
     * requests (KeyUpdate with update_requested: each costs this end a wrap and an answer) within
     * any {@code period}; {@link #DEFAULT_KEY_UPDATE_LIMIT} per {@link #DEFAULT_KEY_UPDATE_PERIOD}
     * by default; 0 refuses every one. One over the limit ends the session: our close_notify goes
     * to the peer (an engine offers no other alert on demand) and the event callback gets
     * {@code READING|ERROR} with {@link EndReason#KEY_UPDATE_LIMIT}; counted in
     * {@link #getPeerKeyUpdates()}, logged at DEBUG, queued as an {@link SslError}. The JDK
     * provider's engines show each request (they answer it with a wrap); Conscrypt's answers
     * inside BoringSSL, rides on our next data record and cannot be seen or limited here:
     * BoringSSL itself ends a session after 32 key updates in a row without data.
     *
     * @param updates 0 to {@link #MAX_PEER_HANDSHAKE_LIMIT}
     * @param period positive; ignored (may be null) when {@code updates} is 0
     * @throws IllegalArgumentException if {@code updates} is out of range or {@code period} is
     *     not positive
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     */
    public void setKeyUpdateLimit(int updates, Duration period) {
        checkLoopThread();
        checkNotFreed();
        peer.limitKeyUpdates(updates, period);
    }

    /**
     * {@return how many renegotiations the peer asked for so far, allowed or refused} As a
     * client, its server's HelloRequests.
     */
    public int getPeerRenegotiations() {
        return peer.renegotiationsAsked();
    }

    /**
     * {@return how many key update requests of the peer this end saw so far, allowed or over
     * the limit} Always 0 on Conscrypt and netty-tcnative, which answer them inside BoringSSL.
     */
    public int getPeerKeyUpdates() {
        return peer.keyUpdatesAsked();
    }

    /**
     * The secure disconnect: writes what the output holds, sends close_notify, then, with a
     * positive {@code waitForPeer}, waits at most that long for the peer's close_notify, and with
     * null or zero does not wait. The event callback then gets {@code EOF} (the peer answered,
     * or nobody waited), or {@code EOF|TIMEOUT} (the peer stayed silent, or without a wait the
     * close_notify could not even be flushed within {@link #SHUTDOWN_FLUSH_LIMIT}; an
     * {@link SslError} says so), and the transport is closed if it is ours (the socket variant, or a filter with
     * CLOSE_ON_FREE). Writing after this fails with {@link IllegalStateException}. Calling it
     * again does nothing. Loop thread only.
     *
     * @param waitForPeer how long to wait for the peer's close_notify after ours left; null or
     *     zero not to wait
     * @throws IllegalArgumentException if {@code waitForPeer} is negative
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     */
    public void shutdown(Duration waitForPeer) {
        checkLoopThread();
        checkNotFreed();
        if (close.isShuttingDown()) {
            return;
        }
        if (waitForPeer != null && waitForPeer.isNegative()) {
            throw new IllegalArgumentException("negative wait: " + waitForPeer);
        }
        close.start(waitForPeer);
        updateTransportReading();
        pump.run();
        close.maybeFinish();
    }

    /** {@return true once {@link #shutdown} was called} */
    public boolean isShuttingDown() {
        return close.isShuttingDown();
    }

    /**
     * {@code bufferevent_socket_connect} for the socket variant: connects its channel; the
     * handshake of a CONNECTING bufferevent starts when the connection is made. A failed
     * connect, even one that fails at once, is a bare {@code ERROR} event, later. Loop thread
     * only.
     *
     * @param address where to connect, e.g. an {@link java.net.InetSocketAddress}
     * @throws IllegalStateException for the filter variant (connect its underlying bufferevent),
     *     if the bufferevent was freed, or called off the loop thread
     */
    public void connect(SocketAddress address) {
        checkLoopThread();
        checkNotFreed();
        ownSocket().connect(address);
    }

    /**
     * {@code bufferevent_socket_connect_hostname(bev, NULL, family, host, port)} for the socket
     * variant, as libevent's {@code sample/https-client.c} uses it: {@code host} is resolved off
     * the loop thread (see {@link SocketBufferevent#connectHostname}), then connected to; the
     * handshake of a CONNECTING bufferevent starts once connected. The name is also what the
     * handshake presents and checks, as https-client.c sets by hand: SNI is set to {@code host}
     * (not for an IP literal or a name SNI cannot carry) unless the engine names a server
     * already, and the host name check ({@code "HTTPS"} endpoint identification, against that
     * name) is turned on unless the engine has an endpoint identification algorithm already or
     * was made for a peer host (an engine from {@link SslContexts#newClientEngine(String, int)}
     * keeps what its context decided, {@code hostnameVerification(false)} included; setting SNI
     * on a Conscrypt engine also gives it a peer host). A failed lookup is a bare {@code ERROR}
     * with {@link EndReason#UNRESOLVED}; {@link #getDnsError()} says why. Loop thread only.
     *
     * @param family {@link java.net.StandardProtocolFamily#INET} or {@link
     *     java.net.StandardProtocolFamily#INET6} to pick an address of that family; null for the
     *     first address of any ({@code AF_UNSPEC})
     * @param host the server's host name or IP literal; also the SNI name and the name checked
     *     against its certificate, as above
     * @param port the server's port, 0 to 65535
     * @throws IllegalArgumentException if {@code port} is out of range
     * @throws IllegalStateException for the filter variant (connect its underlying bufferevent),
     *     for an engine in server mode, if the bufferevent was freed, or called off the loop
     *     thread
     */
    public void connectHostname(ProtocolFamily family, String host, int port) {
        Objects.requireNonNull(host, "host");
        checkLoopThread();
        checkNotFreed();
        ownSocket().connectHostname(engine, family, host, port);
    }

    private TlsSocket ownSocket() {
        if (socket == null) {
            throw new IllegalStateException("connect the underlying bufferevent of a TLS filter instead");
        }
        return socket;
    }

    /**
     * {@return why the last {@link #connectHostname} lookup failed, or null; always null for
     * the filter variant} ({@code bufferevent_socket_get_dns_error})
     */
    public Throwable getDnsError() {
        return socket != null ? socket.dnsError() : null;
    }

    /**
     * {@return the socket variant's channel, null before it connects; always null for the
     * filter variant, whose transport is the caller's}
     */
    public SocketChannel getChannel() {
        return socket != null ? socket.channel() : null;
    }

    /** The filter variant's underlying bufferevent; null for the socket variant, whose transport is hidden. */
    @Override
    public Bufferevent getUnderlying() {
        return socket != null ? null : transport();
    }

    // ------------------------------------------------------------------ writes after shutdown

    @Override
    public void write(byte[] data, int off, int len) {
        refuseIfClosing();
        super.write(data, off, len);
    }

    @Override
    public void write(ByteBuffer src) {
        refuseIfClosing();
        super.write(src);
    }

    @Override
    public void writeBuffer(EvBuffer src) {
        refuseIfClosing();
        super.writeBuffer(src);
    }

    private void refuseIfClosing() {
        if (isFreed() && getBase().isInLoopThread()) {
            checkNotFreed(); // a freed bufferevent says so first, whatever it was doing
        }
        if (close.isShuttingDown() && getBase().isInLoopThread()) {
            throw new IllegalStateException("the TLS bufferevent is shut down: no more writes");
        }
    }

    // ------------------------------------------------------------------ the pump's view of the session

    /**
     * After each pump: delivers the plaintext it unwrapped through the delivery loop of
     * {@link LayeredBufferevent#deliverInput}. A read callback that drains the input may resume
     * reading and so pump again; that nested pump unwraps, and its delivery only asks the running
     * loop for another round, so the user is never called inside the user and the stack stays
     * flat however much data waits. Then EOF and the shutdown's end, if due.
     */
    void pumped(boolean delivered) {
        if (delivered) {
            state.delivered();
            deliverInput(FlushMode.NORMAL);
        }
        close.afterPump();
    }

    /** The delivery loop's step: the pump has unwrapped already; say whether it put plaintext in. */
    @Override
    protected boolean produceInput(FlushMode mode) {
        return state.takeUndelivered();
    }

    @Override
    protected void moveInput() {
        pump.run();
    }

    @Override
    protected void moveOutput() {
        pump.run();
    }

    /** The pump's reasons to read the transport changed ({@link #wantsTransportRead()}). */
    void transportReadingChanged() {
        updateTransportReading();
    }

    /** The user has reading on: the pump unwraps for the user (a handshake or a shutdown unwraps anyway). */
    boolean userReads() {
        return readingActive();
    }

    /** Room in the input under the read high watermark; -1 when unlimited. */
    long plaintextRoom() {
        return readRoom();
    }

    /** The user has writing on: the pump wraps the output once no handshake runs. */
    boolean userWrites() {
        return writingActive();
    }

    /** The pump took {@code n} plaintext bytes from the output: counted, and the write timer restarts. */
    void plaintextWritten(long n) {
        countWritten(n);
        writeProgress();
    }

    /** The pump put {@code n} plaintext bytes (maybe 0) in the input: counted. */
    void plaintextRead(long n) {
        countRead(n);
    }

    /**
     * How much ciphertext may wait in the transport's output before plaintext stays here: its
     * write high watermark, or {@link #TRANSPORT_WRITE_BOUND} when it has none.
     */
    long transportWriteLimit() {
        long high = transportWriteHighWatermark();
        return high > 0 ? high : TRANSPORT_WRITE_BOUND;
    }

    /** SecureClose's way to report the end of stream it decided on. */
    void endOfStream(int what, EndReason reason) {
        triggerEnd(what, reason);
    }

    // ------------------------------------------------------------------ handshakes

    /** The engine says the running handshake finished ({@link Handshakes#finished}). */
    void handshakeFinished() {
        handshakes.finished();
    }

    /** A handshake completed: the timeouts run per direction from now; CONNECTED if {@code connected} is due. */
    void handshakeCompleted(boolean connected) {
        updateTransportReading();
        endHandshakeTimeout(true);
        if (connected) {
            triggerEvent(BEV_EVENT_CONNECTED, 0);
        }
    }

    /** The first handshake itself starts: its time bound restarts. */
    void restartHandshakeBound() {
        armHandshakeTimeout();
    }

    // ------------------------------------------------------------------ transport events

    @Override
    protected void transportDrained() {
        pump.run();
        if (isFreed()) {
            return;
        }
        if (transportOutputLength() == 0 && state.connectedOnce() && !close.isShuttingDown()) {
            trigger(EV_WRITE, 0); // runs the write callback if the output is at its low watermark
        }
        close.maybeFinish();
    }

    @Override
    protected void transportEvent(int what) {
        if ((what & BEV_EVENT_CONNECTED) != 0) {
            if (socket != null) {
                socket.connected();
            }
            handshakes.startFirst(); // only a WAITING session starts one
            what &= ~BEV_EVENT_CONNECTED;
            if (what == 0) {
                return;
            }
        }
        if ((what & BEV_EVENT_EOF) != 0) {
            transportEof();
            return;
        }
        if ((what & BEV_EVENT_ERROR) != 0 && close.isStaleTransportError()) {
            return;
        }
        if ((what & BEV_EVENT_ERROR) != 0) {
            Throwable cause = transport().getLastError();
            setLastError(cause);
            failure.transportFailed(cause);
        }
        passOnTransportEvent(what);
    }

    /** The transport reached end of stream: clean, dirty or truncated, by our own state ({@link SecureClose}). */
    private void transportEof() {
        pump.run(); // records still buffered, possibly the close_notify itself
        if (!isFreed()) {
            close.transportEof(state.connectedOnce());
        }
    }

    /**
     * At the end of a shutdown: frees the transport if it is ours to close (the socket variant's,
     * or a filter's with CLOSE_ON_FREE); otherwise stops reading it.
     */
    void endTransport() {
        finishWithTransport();
    }

    /** Ciphertext still waiting in the transport's output (0 once it is freed), for {@link SecureClose}. */
    long transportPending() {
        return transportOutputLength();
    }

    @Override
    protected int onFlush(int iotype, FlushMode mode) {
        if ((iotype & EV_WRITE) != 0 && mode == FlushMode.FINISHED) {
            shutdown(null);
            return 1;
        }
        long before = transportOutputLength();
        pump.run();
        return transportOutputLength() > before ? 1 : 0;
    }

    // ------------------------------------------------------------------ failures and timers

    /** Runs the event callback with {@code what} for {@code reason}, {@code cause} being {@link #getLastError()}. */
    void report(int what, Throwable cause, EndReason reason) {
        setLastError(cause);
        triggerEnd(what, reason);
    }

    /** {@link TlsFailure#fail} sends the alert the failed engine holds: true if one went out. */
    boolean flushAlert() {
        return pump.flushAlert();
    }

    /**
     * Stops every timer of the session: a delegated task's keep-alive, the shutdown's, and the
     * handshake's bound (a session that ends before its first handshake completes drops the
     * timeouts it bounded).
     */
    void cancelTimers() {
        pump.dropTaskKeepAlive();
        endHandshakeTimeout(false);
        close.cancelTimer();
    }

    // ------------------------------------------------------------------ transport control and free

    /** The transport reads while a handshake, a shutdown or the user needs it, and we have room. */
    @Override
    protected boolean wantsTransportRead() {
        return !state.failed() && !isFreed() && readRoom() != 0 && !pump.waitsForTransportDrain()
                && (state.handshaking() || close.waitsForPeer() || readingActive());
    }

    /**
     * Stops the timers and releases the engine; ciphertext still waiting in a transport about to
     * be freed (typically our answer to the peer's close_notify) gets one immediate write first.
     */
    @Override
    protected void freeLayer() {
        cancelTimers();
        pump.releaseEngine();
        Bufferevent t = transport();
        if (!t.isFreed() && closesTransport() && t.getOutput().getLength() > 0) {
            t.flush(EV_WRITE, FlushMode.FLUSH);
        }
    }

    /** The client or server role, then the class and identity: this layer's part of its log name. */
    @Override
    protected String layerLabel() {
        return (engine.getUseClientMode() ? "TLS client " : "TLS server ") + super.layerLabel();
    }

    /** {@link #logName()} for the other classes of this package. */
    String name() {
        return logName();
    }

    @Override
    public String toString() {
        return "SslBufferevent[" + (socket != null ? "socket" : "filter") + ", " + initialState
                + ", " + state + (close.isShuttingDown() ? ", closing" : "")
                + ", in=" + getInput().getLength() + ", out=" + getOutput().getLength() + "]";
    }
}
