package org.jevent.dtls;

import java.nio.ByteBuffer;

/**
 * The one seam in front of every DTLS implementation: a {@link DtlsSession} drives it with
 * datagrams in, and gets datagrams out, decrypted messages, handshake start and completion and
 * an end, all through its {@link Listener}. Session, server and client code see only this;
 * {@link JdkDtlsEngine} (certificates, the JDK's {@code SSLContext.getInstance("DTLS")}) and
 * {@link BcDtlsEngine} (PSK through bctls) sit behind it.
 *
 * <p>Threading: every method is called on the session's loop thread, and every listener call
 * arrives on it, whatever threads the implementation uses inside (bctls handshakes on a bounded
 * pool). No method blocks.
 *
 * <p>Datagrams: one {@link #send} is one datagram on the wire, never more; a message that does
 * not fit {@link #maxPlaintext()} is refused. Buffers passed to the listener are valid only during
 * the call. Records that fail authentication or repeat one already received are dropped without
 * ending the engine, and counted ({@link #replaysDropped()}, {@link #unauthenticatedDropped()}).
 */
interface DtlsEngine {
    /** Where an engine is in its life. */
    enum Status {
        /** Handshake in progress (also before the first datagram). */
        HANDSHAKING,
        /** Application data flows both ways. */
        ESTABLISHED,
        /** close_notify sent or received, or freed; no more data. */
        CLOSED,
        /** A fatal error; see {@link #failure()}. */
        FAILED
    }

    /** Receives what the engine produces. Called on the loop thread. */
    interface Listener {
        /**
         * A datagram for the peer.
         *
         * @param datagram position..limit, valid during the call
         */
        void sendDatagram(ByteBuffer datagram);

        /**
         * The handshake's clock starts: at {@link #start()} for engines that run on the loop, when
         * a handshake thread takes the handshake up for engines that wait for one. Called once.
         */
        void handshakeStarted();

        /**
         * One decrypted application datagram.
         *
         * @param plaintext position..limit, valid during the call
         */
        void received(ByteBuffer plaintext);

        /** The handshake completed; {@link #send} works from now on. Called once. */
        void handshakeCompleted();

        /**
         * The engine ended: the peer's close_notify ({@code error == null}) or a fatal error
         * (then {@link #failure()} holds it too; a {@link DtlsHandshakeTimeoutException} when the
         * handshake ran out of time). Called at most once, and never for {@link #close()} or
         * {@link #free()}.
         *
         * @param error null for the peer's orderly close
         */
        void closed(Throwable error);
    }

    /** Client: sends the first flight. Server: processes the verified ClientHello it was made with. */
    void start();

    /**
     * One datagram from the peer.
     *
     * @param datagram position..limit, writable (the JDK decrypts in place); consumed
     */
    void receive(ByteBuffer datagram);

    /**
     * Encrypts one message into one datagram.
     *
     * @param plaintext position..limit; consumed if sent
     * @return true if encrypted and handed to the listener, false if the engine is not
     *     {@link Status#ESTABLISHED}
     * @throws IllegalArgumentException if longer than {@link #maxPlaintext()}
     */
    boolean send(ByteBuffer plaintext);

    /**
     * The session's retransmission timer fired (RFC 6347 §4.2.4): resend the last flight if the
     * handshake waits for the peer. Engines that time their own retransmissions ignore it.
     */
    void onRetransmitTimeout();

    /** @return whether this engine needs {@link #onRetransmitTimeout()} from a session timer */
    boolean needsRetransmitTimer();

    /** @return the current status */
    Status status();

    /** @return the error that failed the engine, or null */
    Throwable failure();

    /** @return the largest message {@link #send} accepts (depends on the MTU and the suite); 0 before the handshake */
    int maxPlaintext();

    /** @return the negotiated cipher suite's standard name, or null before the handshake ends */
    String cipherSuite();

    /** @return records dropped because they repeated one already received (RFC 6347 §4.1.2.6) */
    long replaysDropped();

    /** @return records dropped because they failed authentication or could not be parsed */
    long unauthenticatedDropped();

    /** Sends close_notify (if established) and ends the engine; idempotent; no listener call. */
    void close();

    /** Releases everything without sending anything (peer gone, server stopping hard); idempotent. */
    void free();
}
