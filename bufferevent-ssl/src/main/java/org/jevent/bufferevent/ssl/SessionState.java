package org.jevent.bufferevent.ssl;

/**
 * Where one TLS session of an {@link SslBufferevent} stands: one phase plus a few named bits, as
 * Netty's SslHandler keeps its state in one field. Pure state: the bufferevent acts (pumps,
 * reports, arms timers) on what the transitions return.
 *
 * <p>Invariant: the phase moves WAITING → HANDSHAKING → OPEN, back to HANDSHAKING for a later
 * handshake (renegotiation, key update) and on to OPEN again; from any phase it may move to
 * FAILED, which is final: no transition leaves it. {@code CONNECTED_ONCE} is set exactly when the
 * first handshake has completed (or the session was created OPEN) and is never cleared.
 */
final class SessionState {
    private enum Phase {
        /** Created CONNECTING or ACCEPTING on a transport not yet connected: the handshake starts with its CONNECTED. */
        WAITING,
        /** A handshake runs (the first, or a later one once CONNECTED_ONCE): plaintext is neither wrapped nor delivered. */
        HANDSHAKING,
        /** Data flows both ways. */
        OPEN,
        /** The engine, the transport or the handshake's time limit failed: nothing is wrapped or unwrapped any more. */
        FAILED
    }

    /** Named bit: the first handshake completed (CONNECTED was raised), or the session was created OPEN. */
    private static final int CONNECTED_ONCE = 0x01;
    /** Named bit: the running handshake was started by us ({@code renegotiate}); its end raises CONNECTED again. */
    private static final int LOCAL_RENEGOTIATION = 0x02;
    /** Named bit: the pump put plaintext in the input that the delivery loop has not yet handed to the user. */
    private static final int UNDELIVERED = 0x04;

    private Phase phase = Phase.WAITING;
    private int bits;

    /** Created in state OPEN: the caller's engine finished its handshake already. */
    void startOpen() {
        phase = Phase.OPEN;
        bits |= CONNECTED_ONCE;
    }

    /** WAITING → HANDSHAKING; false, changing nothing, in any other phase. */
    boolean startHandshake() {
        if (phase != Phase.WAITING) {
            return false;
        }
        phase = Phase.HANDSHAKING;
        return true;
    }

    /** True while a handshake runs or waits for the transport: plaintext waits. */
    boolean handshaking() {
        return phase == Phase.WAITING || phase == Phase.HANDSHAKING;
    }

    boolean isOpen() {
        return phase == Phase.OPEN;
    }

    boolean failed() {
        return phase == Phase.FAILED;
    }

    boolean connectedOnce() {
        return (bits & CONNECTED_ONCE) != 0;
    }

    /** The engine is in a handshake: after OPEN that is a new one (the peer renegotiates); true if it is. */
    boolean handshakeRunning() {
        if (phase == Phase.OPEN) {
            phase = Phase.HANDSHAKING;
            return true;
        }
        return false;
    }

    /** We started a handshake from OPEN; {@code running}: the engine says it runs (it may be done at once). */
    void renegotiating(boolean running) {
        bits |= LOCAL_RENEGOTIATION;
        if (running) {
            phase = Phase.HANDSHAKING;
        }
    }

    /**
     * The engine reported FINISHED: OPEN from now. Returns true if CONNECTED is due (the first
     * handshake, or one we started). The caller does nothing after a failure (see {@link #failed}).
     */
    boolean handshakeFinished() {
        boolean report = (bits & (CONNECTED_ONCE | LOCAL_RENEGOTIATION)) != CONNECTED_ONCE;
        phase = Phase.OPEN;
        bits = (bits | CONNECTED_ONCE) & ~LOCAL_RENEGOTIATION;
        return report;
    }

    /** Into FAILED; false if the session had failed already. */
    boolean fail() {
        if (phase == Phase.FAILED) {
            return false;
        }
        phase = Phase.FAILED;
        return true;
    }

    /** The pump put plaintext in the input. */
    void delivered() {
        bits |= UNDELIVERED;
    }

    /** True, once, if plaintext was put in since the last call (the delivery loop's step). */
    boolean takeUndelivered() {
        boolean was = (bits & UNDELIVERED) != 0;
        bits &= ~UNDELIVERED;
        return was;
    }

    @Override
    public String toString() {
        return phase.name();
    }
}
