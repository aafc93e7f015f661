package org.jevent.dtls;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * The DTLS datagram behind the message a session's read callback is given, for the Qt DTLS
 * examples' ports, which print every datagram in hex beside its plain text as Qt's windows do.
 *
 * <p>Why it lives here: jevent-dtls offers no public way to see a session's incoming datagrams
 * (its read callback gets the decrypted message only), so this class, in the library's package
 * but built with the examples, puts a forwarding engine in front of the session's engine and
 * copies each datagram before the engine decrypts it in place. It goes once the library has a
 * public hook for it (reported as a gap of the dtls module); the examples then call that instead.
 *
 * <p>Invariant: {@code last[0 .. lastLength)} is the most recent datagram the session received,
 * copied before its engine saw it; during the session's read callback, that is the datagram the
 * message came in. The copy buffer grows to the largest datagram seen and is then reused.
 * Loop thread only, like the session.
 */
public final class DatagramTap {
    private final DtlsSession session;
    private byte[] last = new byte[0];
    private int lastLength;

    private DatagramTap(DtlsSession session) {
        this.session = session;
    }

    /**
     * Taps {@code session}: from now on each datagram it receives is kept until the next one.
     * Call it before the session receives anything it should show: in a server's accept
     * callback, or right after {@code DtlsClient.connect} returns (both on the loop thread).
     *
     * @param session a session that has not finished
     * @return the tap
     * @throws IllegalStateException off the loop thread or on a finished session
     */
    public static DatagramTap install(DtlsSession session) {
        Objects.requireNonNull(session, "session");
        session.getBase().checkInLoopThread();
        if (session.isFinished()) {
            throw new IllegalStateException("the session is finished: " + session);
        }
        DatagramTap tap = new DatagramTap(session);
        session.attach(tap.new Forwarder(session.engine()));
        return tap;
    }

    /**
     * The last datagram the session received (in its read callback: the one the message came in).
     *
     * @return a copy of its bytes; empty before the first
     */
    public byte[] lastDatagram() {
        session.getBase().checkInLoopThread();
        return Arrays.copyOf(last, lastLength);
    }

    private void keep(ByteBuffer datagram) {
        int n = datagram.remaining();
        if (last.length < n) {
            last = new byte[n];
        }
        datagram.duplicate().get(last, 0, n);
        lastLength = n;
    }

    /** The session's engine, with every datagram in copied first; everything else as it was. */
    private final class Forwarder implements DtlsEngine {
        private final DtlsEngine engine;

        Forwarder(DtlsEngine engine) {
            this.engine = engine;
        }

        @Override
        public void receive(ByteBuffer datagram) {
            keep(datagram);
            engine.receive(datagram);
        }

        @Override
        public void start() {
            engine.start();
        }

        @Override
        public boolean send(ByteBuffer plaintext) {
            return engine.send(plaintext);
        }

        @Override
        public void onRetransmitTimeout() {
            engine.onRetransmitTimeout();
        }

        @Override
        public boolean needsRetransmitTimer() {
            return engine.needsRetransmitTimer();
        }

        @Override
        public Status status() {
            return engine.status();
        }

        @Override
        public Throwable failure() {
            return engine.failure();
        }

        @Override
        public int maxPlaintext() {
            return engine.maxPlaintext();
        }

        @Override
        public String cipherSuite() {
            return engine.cipherSuite();
        }

        @Override
        public long replaysDropped() {
            return engine.replaysDropped();
        }

        @Override
        public long unauthenticatedDropped() {
            return engine.unauthenticatedDropped();
        }

        @Override
        public void close() {
            engine.close();
        }

        @Override
        public void free() {
            engine.free();
        }
    }
}
